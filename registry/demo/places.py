"""The demo's places (`registry.demo`): provinces, kabupaten/kota and ministries.

Provinces and regencies/cities are real (38 provinces, 178 of the 514
kabupaten/kota); ``cycle`` is the year of the regional election that put the
head in office before 2020 (2015: re-elected in Pilkada 2020; 2017 and 2018:
heads whose terms ran out in 2022-2023 and were followed by acting heads).
The cycles follow the public election calendar as well as we know it; they
only shape the demo.
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
