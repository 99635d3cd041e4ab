"""Static material for the demo registry (`registry.demo`): places, names, texts.

Provinces and regencies/cities are real (38 provinces, 178 of the 514
kabupaten/kota); ``cycle`` is the year of the regional election that put the
head in office before 2020 (2015: re-elected in Pilkada 2020; 2017 and 2018:
heads whose terms ran out in 2022-2023 and were followed by acting heads).
The cycles follow the public election calendar as well as we know it; they
only shape the demo.  Every person named here or generated from these pools
is fictional, except the two witnesses of the 27 September 2022 ceremony
reported in seed article 001.
"""

from __future__ import annotations

from typing import NamedTuple


class Province(NamedTuple):
    """A province: Kemendagri code, election cycle, capital, and its parent before 2022."""

    name: str
    code: str
    cycle: int
    capital: str
    formed_from: str | None = None


PROVINCES: tuple[Province, ...] = (
    Province("Aceh", "11", 2017, "Banda Aceh"),
    Province("Sumatera Utara", "12", 2018, "Medan"),
    Province("Sumatera Barat", "13", 2015, "Padang"),
    Province("Riau", "14", 2018, "Pekanbaru"),
    Province("Jambi", "15", 2015, "Jambi"),
    Province("Sumatera Selatan", "16", 2018, "Palembang"),
    Province("Bengkulu", "17", 2015, "Bengkulu"),
    Province("Lampung", "18", 2018, "Bandar Lampung"),
    Province("Kepulauan Bangka Belitung", "19", 2017, "Pangkalpinang"),
    Province("Kepulauan Riau", "21", 2015, "Tanjungpinang"),
    Province("DKI Jakarta", "31", 2017, "Jakarta"),
    Province("Jawa Barat", "32", 2018, "Bandung"),
    Province("Jawa Tengah", "33", 2018, "Semarang"),
    Province("Daerah Istimewa Yogyakarta", "34", 0, "Yogyakarta"),
    Province("Jawa Timur", "35", 2018, "Surabaya"),
    Province("Banten", "36", 2017, "Serang"),
    Province("Bali", "51", 2018, "Denpasar"),
    Province("Nusa Tenggara Barat", "52", 2018, "Mataram"),
    Province("Nusa Tenggara Timur", "53", 2018, "Kupang"),
    Province("Kalimantan Barat", "61", 2018, "Pontianak"),
    Province("Kalimantan Tengah", "62", 2015, "Palangka Raya"),
    Province("Kalimantan Selatan", "63", 2015, "Banjarbaru"),
    Province("Kalimantan Timur", "64", 2018, "Samarinda"),
    Province("Kalimantan Utara", "65", 2015, "Tanjung Selor"),
    Province("Sulawesi Utara", "71", 2015, "Manado"),
    Province("Sulawesi Tengah", "72", 2015, "Palu"),
    Province("Sulawesi Selatan", "73", 2018, "Makassar"),
    Province("Sulawesi Tenggara", "74", 2018, "Kendari"),
    Province("Gorontalo", "75", 2017, "Gorontalo"),
    Province("Sulawesi Barat", "76", 2017, "Mamuju"),
    Province("Maluku", "81", 2018, "Ambon"),
    Province("Maluku Utara", "82", 2018, "Sofifi"),
    Province("Papua", "91", 2018, "Jayapura"),
    Province("Papua Barat", "92", 2017, "Manokwari"),
    Province("Papua Selatan", "93", 0, "Merauke", "Papua"),
    Province("Papua Tengah", "94", 0, "Nabire", "Papua"),
    Province("Papua Pegunungan", "95", 0, "Wamena", "Papua"),
    Province("Papua Barat Daya", "96", 0, "Sorong", "Papua Barat"),
)

# "Province: Name cycle; Name cycle; ..." (K = Kabupaten, C = Kota).
_REGENCIES = """
Aceh: C Banda Aceh 2017; K Aceh Besar 2017; C Lhokseumawe 2017; K Aceh Utara 2017
Sumatera Utara: C Medan 2015; K Deli Serdang 2018; C Pematangsiantar 2015; K Simalungun 2015; \
K Karo 2015
Sumatera Barat: C Padang 2018; C Bukittinggi 2015; K Agam 2015; K Solok 2015
Riau: C Pekanbaru 2017; K Kampar 2017; C Dumai 2015; K Bengkalis 2015
Jambi: C Jambi 2018; K Muaro Jambi 2017; K Kerinci 2018
Sumatera Selatan: C Palembang 2018; K Ogan Komering Ilir 2018; K Musi Banyuasin 2017; \
C Lubuklinggau 2018
Bengkulu: C Bengkulu 2018; K Rejang Lebong 2015; K Bengkulu Selatan 2015
Lampung: C Bandar Lampung 2015; K Lampung Selatan 2015; C Metro 2015; K Lampung Tengah 2015
Kepulauan Bangka Belitung: C Pangkalpinang 2018; K Bangka 2018; K Belitung 2015
Kepulauan Riau: C Batam 2015; C Tanjungpinang 2018; K Bintan 2015; K Karimun 2015
Jawa Barat: K Bogor 2018; C Bogor 2018; C Bandung 2018; K Bandung 2015; C Depok 2015; \
C Bekasi 2018; \
K Bekasi 2017; K Karawang 2015; K Indramayu 2015; K Cianjur 2015; K Sukabumi 2015; C Cirebon 2018; \
K Garut 2018; K Tasikmalaya 2015
Jawa Tengah: C Semarang 2015; C Surakarta 2015; K Sukoharjo 2015; K Klaten 2015; K Kendal 2015; \
K Boyolali 2015; K Banyumas 2018; K Purbalingga 2015; C Pekalongan 2015; K Kebumen 2015; \
K Wonosobo 2015
Daerah Istimewa Yogyakarta: C Yogyakarta 2017; K Sleman 2015; K Bantul 2015; K Gunungkidul 2015; \
K Kulon Progo 2017
Jawa Timur: C Surabaya 2015; C Malang 2018; K Malang 2015; K Sidoarjo 2015; K Jember 2015; \
K Banyuwangi 2015; K Kediri 2015; C Kediri 2018; K Gresik 2015; K Lamongan 2015; K Tuban 2015; \
K Ponorogo 2015
Banten: C Serang 2018; K Serang 2015; C Tangerang 2018; K Tangerang 2018; \
C Tangerang Selatan 2015; \
K Pandeglang 2015; C Cilegon 2015
Bali: C Denpasar 2015; K Badung 2015; K Gianyar 2018; K Tabanan 2015; K Karangasem 2015
Nusa Tenggara Barat: C Mataram 2015; K Lombok Barat 2018; K Lombok Tengah 2015; K Sumbawa 2015; \
K Bima 2015
Nusa Tenggara Timur: C Kupang 2017; K Kupang 2018; K Manggarai Barat 2015; K Sumba Timur 2015; \
K Belu 2015
Kalimantan Barat: C Pontianak 2018; K Kubu Raya 2018; C Singkawang 2017; K Sambas 2015; \
K Ketapang 2015
Kalimantan Tengah: C Palangka Raya 2018; K Kotawaringin Barat 2017; K Kotawaringin Timur 2015; \
K Kapuas 2018
Kalimantan Selatan: C Banjarmasin 2015; C Banjarbaru 2015; K Banjar 2015; K Tabalong 2018
Kalimantan Timur: C Samarinda 2015; C Balikpapan 2015; C Bontang 2015; K Kutai Kartanegara 2015; \
K Berau 2015
Kalimantan Utara: C Tarakan 2018; K Bulungan 2015; K Nunukan 2015; K Malinau 2015
Sulawesi Utara: C Manado 2015; C Bitung 2015; K Minahasa 2018; K Minahasa Utara 2015
Sulawesi Tengah: C Palu 2015; K Donggala 2018; K Poso 2015; K Banggai 2015
Sulawesi Selatan: C Makassar 2015; K Gowa 2015; K Maros 2015; C Parepare 2018; K Bone 2018; \
C Palopo 2018; K Luwu Timur 2015
Sulawesi Tenggara: C Kendari 2017; C Baubau 2018; K Konawe 2018; K Kolaka 2018
Gorontalo: C Gorontalo 2018; K Gorontalo 2015; K Bone Bolango 2015
Sulawesi Barat: K Mamuju 2015; K Polewali Mandar 2018; K Majene 2015
Maluku: C Ambon 2017; K Maluku Tengah 2017; C Tual 2018; K Buru 2015
Maluku Utara: C Ternate 2015; C Tidore Kepulauan 2015; K Halmahera Utara 2015; \
K Halmahera Selatan 2015
Papua: C Jayapura 2017; K Jayapura 2017; K Biak Numfor 2018; K Keerom 2015
Papua Barat: K Manokwari 2015; K Teluk Bintuni 2015; K Fakfak 2015; K Kaimana 2015
Papua Selatan: K Merauke 2015; K Boven Digoel 2015; K Mappi 2017; K Asmat 2015
Papua Tengah: K Nabire 2015; K Mimika 2018; K Paniai 2018
Papua Pegunungan: K Jayawijaya 2018; K Lanny Jaya 2017; K Yahukimo 2015
Papua Barat Daya: C Sorong 2017; K Sorong 2017; K Raja Ampat 2015
"""


class Regency(NamedTuple):
    """A kabupaten (``kota`` False) or kota in a province, with its election cycle."""

    province: str
    name: str
    kota: bool
    cycle: int


def _regencies() -> tuple[Regency, ...]:
    out: list[Regency] = []
    for line in _REGENCIES.strip().splitlines():
        province, _, rest = line.partition(": ")
        for item in rest.split("; "):
            kind, _, tail = item.partition(" ")
            name, _, cycle = tail.rpartition(" ")
            out.append(Regency(province, name, kind == "C", int(cycle)))
    return tuple(out)


REGENCIES: tuple[Regency, ...] = _regencies()

MINISTRIES: tuple[tuple[str, str], ...] = (
    ("Kementerian Dalam Negeri", "Menteri Dalam Negeri"),
    ("Kementerian Agama", "Menteri Agama"),
    ("Kementerian Kesehatan", "Menteri Kesehatan"),
    ("Kementerian Keuangan", "Menteri Keuangan"),
    ("Kementerian Pertanian", "Menteri Pertanian"),
    ("Kementerian Sosial", "Menteri Sosial"),
    ("Kementerian Perhubungan", "Menteri Perhubungan"),
    (
        "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional",
        "Menteri Agraria dan Tata Ruang/Kepala Badan Pertanahan Nasional",
    ),
)

MALE_NAMES = [
    "Ahmad",
    "Agus",
    "Andi",
    "Arif",
    "Bambang",
    "Budi",
    "Dedi",
    "Dodi",
    "Eko",
    "Fajar",
    "Fauzi",
    "Hadi",
    "Hendra",
    "Heru",
    "Ilham",
    "Imam",
    "Irfan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Made",
    "Muhammad",
    "Nyoman",
    "Putu",
    "Rahmat",
    "Ridwan",
    "Rizal",
    "Rudi",
    "Slamet",
    "Sugeng",
    "Suryadi",
    "Syamsul",
    "Taufik",
    "Teguh",
    "Wahyu",
    "Wayan",
    "Yusuf",
    "Zainal",
    "Hasan",
    "Iwan",
    "Gede",
    "Ketut",
    "Daniel",
    "Yohanes",
    "Marthen",
    "Frans",
    "Samuel",
    "Andreas",
    "Ismail",
    "Arifin",
    "Darmawan",
    "Sutrisno",
    "Hendrik",
    "Abdul",
    "Bayu",
]
FEMALE_NAMES = [
    "Ani",
    "Ayu",
    "Dewi",
    "Diah",
    "Endang",
    "Fitri",
    "Indah",
    "Kartika",
    "Lestari",
    "Maria",
    "Nur",
    "Nurul",
    "Putri",
    "Ratna",
    "Rina",
    "Rini",
    "Sari",
    "Siti",
    "Sri",
    "Tri",
    "Wulan",
    "Yanti",
    "Yuliana",
    "Agustina",
    "Dian",
    "Evi",
    "Fatimah",
    "Hana",
    "Ika",
    "Lina",
    "Mega",
    "Novi",
    "Retno",
    "Susanti",
    "Tuti",
    "Wahyuni",
    "Yeni",
    "Margaretha",
    "Ni",
    "Kadek",
]
FAMILY_NAMES = [
    "Saputra",
    "Wibowo",
    "Santoso",
    "Hidayat",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Harahap",
    "Lubis",
    "Simanjuntak",
    "Pratama",
    "Setiawan",
    "Gunawan",
    "Kusuma",
    "Wijaya",
    "Hakim",
    "Rahman",
    "Syahputra",
    "Purnomo",
    "Susilo",
    "Prasetyo",
    "Sitompul",
    "Panjaitan",
    "Tanjung",
    "Rangkuti",
    "Daulay",
    "Batubara",
    "Pohan",
    "Hutapea",
    "Manurung",
    "Situmorang",
    "Mahmud",
    "Latif",
    "Yunus",
    "Pattiasina",
    "Latuconsina",
    "Rumbiak",
    "Wanggai",
    "Mandacan",
    "Sondakh",
    "Lumban",
    "Tobing",
    "Mokoginta",
    "Paputungan",
    "Daeng",
    "Tenri",
    "Makkasau",
    "Rasyid",
    "Effendi",
    "Sulaiman",
    "Wiranata",
    "Permana",
    "Suganda",
    "Kurnia",
    "Hermawan",
    "Firmansyah",
    "Maulana",
    "Ramadhan",
    "Sasmita",
    "Wirawan",
    "Suparman",
    "Mulyadi",
    "Sanjaya",
    "Aritonang",
    "Sinaga",
    "Pardede",
    "Nainggolan",
    "Tambunan",
    "Silalahi",
    "Simbolon",
]
HONORIFIC_PREFIXES = ("", "", "H.", "Dr.", "Drs.", "Dr. H.", "Prof. Dr.")
ACADEMIC_SUFFIXES = (
    "",
    "S.H.",
    "S.E.",
    "M.Si.",
    "M.M.",
    "S.Sos., M.Si.",
    "S.T., M.T.",
    "M.Sc.",
    "S.IP., M.Si.",
    "M.A.P.",
    "S.H., M.H.",
    "S.E., M.M.",
)

ASN_JABATAN = (
    "Analis Kepegawaian Ahli Muda",
    "Kepala Seksi Pelayanan Umum",
    "Guru Ahli Pertama",
    "Kepala Bidang Anggaran",
    "Penyuluh Pertanian Ahli Pertama",
    "Camat",
    "Lurah",
    "Kepala Sub Bagian Umum dan Kepegawaian",
    "Perawat Ahli Muda",
    "Auditor Ahli Pertama",
    "Pranata Komputer Ahli Pertama",
    "Kepala Dinas Pendidikan",
    "Sekretaris Dinas Kesehatan",
    "Analis Kebijakan Ahli Madya",
    "Kepala Bagian Hukum",
    "Pengelola Keuangan",
    "Kepala Puskesmas",
    "Bidan Ahli Pertama",
    "Arsiparis Ahli Muda",
    "Penyuluh Agama Ahli Muda",
)

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
