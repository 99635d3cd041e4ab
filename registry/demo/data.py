"""Static material for the demo registry (`registry.demo`): the cases and the texts.

How a report describes a violation (the ASN's class of post, the category,
a description, where it happened), the sanctions recommended and the reasons
a PPK gives for refusing, the pact and declaration texts, and the witnesses of
the 27 September 2022 ceremony reported in seed article 001, the only real
people named in the demo.  The places are :mod:`registry.demo.places`, the
pools of fictional people :mod:`registry.demo.people`.
"""

from __future__ import annotations

REPORTED_ROLES = (
    "guru",
    "tenaga kesehatan",
    "penyuluh",
    "pejabat fungsional",
    "pejabat administrator",
    "pejabat pengawas",
    "pelaksana",
)
"""How a report describes the ASN: a class of post, never a post held by one person (a
unique jabatan such as "Kepala Dinas Pendidikan" would name the ASN the commitment hides)."""

# (category, weight, (moral, medium, heavy) sanction weights, description template, place kind)
VIOLATIONS: tuple[tuple[str, int, tuple[int, int, int], str, str], ...] = (
    (
        "Kampanye atau sosialisasi melalui media sosial",
        30,
        (75, 22, 3),
        "Terlapor, {jabatan}, mengunggah, menyukai (like), mengomentari dan membagikan (share) "
        "materi kampanye {contest} melalui akun {place} pribadinya.",
        "online",
    ),
    (
        "Mengadakan kegiatan yang mengarah pada keberpihakan",
        22,
        (35, 50, 15),
        "Terlapor, {jabatan}, mengumpulkan pegawai dan warga dalam pertemuan yang mengarahkan "
        "dukungan kepada {contest}.",
        "venue",
    ),
    (
        "Foto bersama pasangan calon dengan simbol keberpihakan",
        13,
        (70, 28, 2),
        "Terlapor, {jabatan}, berfoto bersama {contest} sambil mengacungkan jari yang "
        "menunjukkan nomor urut, lalu foto itu beredar di media sosial.",
        "venue",
    ),
    (
        "Menghadiri deklarasi atau kampanye pasangan calon",
        11,
        (45, 50, 5),
        "Terlapor, {jabatan}, menghadiri deklarasi dan kampanye terbuka {contest} pada jam kerja.",
        "venue",
    ),
    (
        "Melakukan pendekatan ke partai politik sebagai bakal calon",
        6,
        (10, 45, 45),
        "Terlapor, {jabatan}, mengambil formulir pendaftaran bakal calon di kantor partai politik "
        "tanpa mengundurkan diri sebagai ASN.",
        "party",
    ),
    (
        "Menggunakan fasilitas jabatan untuk kepentingan pasangan calon",
        7,
        (10, 50, 40),
        "Terlapor, {jabatan}, memakai kendaraan dinas dan ruang rapat kantor untuk kegiatan "
        "tim pemenangan {contest}.",
        "office",
    ),
    (
        "Membuat keputusan yang menguntungkan atau merugikan pasangan calon",
        6,
        (5, 40, 55),
        "Terlapor, {jabatan}, menyalurkan bantuan program pemerintah disertai ajakan memilih "
        "{contest}.",
        "venue",
    ),
    (
        "Memasang alat peraga kampanye",
        5,
        (60, 38, 2),
        "Terlapor, {jabatan}, memasang spanduk dan stiker {contest} di rumah dan kendaraan "
        "pribadinya.",
        "venue",
    ),
)
CATEGORY_CODES = {
    "Kampanye atau sosialisasi melalui media sosial": "social-media",
    "Mengadakan kegiatan yang mengarah pada keberpihakan": "partisan-gathering",
    "Foto bersama pasangan calon dengan simbol keberpihakan": "partisan-photo",
    "Menghadiri deklarasi atau kampanye pasangan calon": "attending-campaign",
    "Melakukan pendekatan ke partai politik sebagai bakal calon": "party-candidacy",
    "Menggunakan fasilitas jabatan untuk kepentingan pasangan calon": "use-of-office",
    "Membuat keputusan yang menguntungkan atau merugikan pasangan calon": "partisan-decision",
    "Memasang alat peraga kampanye": "campaign-props",
}
"""Each violation's code in the published vocabulary (registry/records/vocabulary.py)."""
PLATFORMS = ("Facebook", "Instagram", "WhatsApp", "TikTok", "Twitter")
VENUES = (
    "Balai Desa",
    "Gedung Serbaguna",
    "Aula Kantor Kecamatan",
    "Lapangan",
    "Rumah Makan",
    "Gedung Olahraga",
    "Posko Pemenangan",
)
SANCTIONS = ("moral", "medium", "heavy")

REFUSAL_REASONS = (
    "Hasil pemeriksaan Inspektorat Daerah tidak menemukan bukti yang cukup atas pelanggaran.",
    "PPK menilai unggahan terlapor tidak bermuatan kampanye.",
    "Terlapor telah memasuki batas usia pensiun sebelum rekomendasi diterima.",
    "Terlapor telah diberhentikan dengan hormat atas permintaan sendiri.",
    "PPK berpendapat kehadiran terlapor dalam rangka tugas kedinasan.",
)

PACT_TITLE = "Pakta Integritas Netralitas ASN"
PACT_TEXT = """\
PAKTA INTEGRITAS
PEJABAT PEMBINA KEPEGAWAIAN
DALAM MENJAGA NETRALITAS APARATUR SIPIL NEGARA
PADA PEMILIHAN UMUM DAN PEMILIHAN SERENTAK TAHUN 2024

Saya yang menandatangani pakta integritas ini, selaku Pejabat Pembina Kepegawaian pada instansi \
yang tercantum di dalamnya, dengan ini menyatakan:

1. Menjaga dan menegakkan netralitas Aparatur Sipil Negara di lingkungan instansi yang saya \
pimpin, sesuai dengan peraturan perundang-undangan tentang Aparatur Sipil Negara, Peraturan \
Pemerintah Nomor 94 Tahun 2021 tentang Disiplin Pegawai Negeri Sipil, dan Keputusan Bersama \
tentang Pedoman Pembinaan dan Pengawasan Netralitas Pegawai Aparatur Sipil Negara dalam \
Penyelenggaraan Pemilihan Umum dan Pemilihan.
2. Tidak menggunakan kewenangan saya untuk mengarahkan, memobilisasi, atau menekan pegawai \
Aparatur Sipil Negara agar mendukung atau menolak peserta pemilihan umum maupun pasangan calon \
kepala daerah.
3. Tidak melakukan mutasi, rotasi, demosi, atau pemberhentian pegawai sebagai imbalan atau \
hukuman atas sikap politik pegawai tersebut.
4. Melarang penggunaan anggaran, fasilitas, dan program instansi untuk kepentingan peserta \
pemilihan umum atau pasangan calon.
5. Menindaklanjuti setiap rekomendasi penjatuhan sanksi atas pelanggaran netralitas Aparatur \
Sipil Negara paling lama 14 (empat belas) hari sejak rekomendasi diterima, dan mencatat \
tindak lanjut tersebut secara terbuka.
6. Bekerja sama dengan Badan Pengawas Pemilihan Umum, Badan Kepegawaian Negara, Kementerian \
Pendayagunaan Aparatur Negara dan Reformasi Birokrasi, dan Kementerian Dalam Negeri dalam \
pencegahan, pengawasan, dan penindakan pelanggaran netralitas.
7. Bersedia dinilai dan diumumkan kepatuhannya atas pakta integritas ini, serta menerima \
konsekuensi sesuai dengan ketentuan peraturan perundang-undangan apabila melanggarnya.

Demikian pakta integritas ini saya tandatangani dengan penuh kesadaran dan tanggung jawab, \
tanpa paksaan dari pihak mana pun.
"""

DECLARATION_TITLE = "Deklarasi Netralitas ASN"
DECLARATION_TEXT = """\
DEKLARASI NETRALITAS APARATUR SIPIL NEGARA
PADA PEMILIHAN UMUM DAN PEMILIHAN SERENTAK TAHUN 2024

Saya, Aparatur Sipil Negara yang menandatangani deklarasi ini, dengan sadar dan sungguh-sungguh \
menyatakan:

1. Bersikap netral dan tidak berpihak kepada peserta pemilihan umum maupun pasangan calon \
kepala daerah, dari segala bentuk pengaruh mana pun.
2. Tidak ikut serta dalam kegiatan kampanye, termasuk melalui media sosial: tidak mengunggah, \
menyukai, mengomentari, maupun membagikan materi kampanye.
3. Tidak menghadiri deklarasi atau kampanye pasangan calon dan tidak berfoto dengan simbol \
keberpihakan.
4. Tidak menggunakan fasilitas negara, jabatan, maupun program pemerintah untuk kepentingan \
peserta pemilihan.
5. Tidak membuat keputusan atau tindakan yang menguntungkan atau merugikan peserta pemilihan.
6. Menolak politik uang dan segala bentuk pemberian yang berkaitan dengan pemilihan.
7. Tetap memberikan pelayanan publik yang adil kepada seluruh masyarakat, serta menjaga \
persatuan dan kesatuan bangsa.
8. Bersedia menerima sanksi sesuai dengan ketentuan peraturan perundang-undangan apabila \
melanggar deklarasi ini.

Demikian deklarasi ini saya buat sebagai wujud komitmen menjaga netralitas Aparatur Sipil Negara.
"""

SEED_CEREMONY_WITNESSES: tuple[tuple[str, str, str], ...] = (
    ("Prof. Agus Pramusinto", "Ketua", "Komisi Aparatur Sipil Negara"),
    ("Rahmat Bagja", "Ketua", "Badan Pengawas Pemilihan Umum"),
)
"""Witnesses of the governors' pact signing of 27 September 2022 (seed article 001)."""
