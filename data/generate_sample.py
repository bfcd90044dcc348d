"""Generate trustgraph's sample dataset into ``data/sample/`` (deterministic, standard library only).

The dataset is a fictional partnership network: ~96 organisations in eight regions (NGOs, foundations,
ministries, companies, universities, multilaterals, media, social enterprises), the people who hold
their partnerships, partnerships (including multi-party platforms), referrals, personal ties,
communications, incidents with follow-up actions, and blacklist entries.  On top of a seeded random
background it plants a handful of situations with fixed ids (``PLANTED``) that the analyses and their
tests can rely on; ``data/sample/README.md`` (written by this script) documents each of them.

Columns come from ``trustgraph.model`` so the files always match the model.  Usage, from the
repository root::

    .venv/bin/python data/generate_sample.py            # write data/sample/ and check it
    .venv/bin/python data/generate_sample.py --check    # only check the files already written
    .venv/bin/python data/generate_sample.py --out DIR  # write elsewhere (and check)
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from trustgraph.model import TABLES  # noqa: E402

SEED = 20250630
REF = date(2025, 6, 30)  # the dataset's "today": nothing is dated after it
OUT = ROOT / "data" / "sample"

# Fixed ids of the planted situations (verified by check(); documented in data/sample/README.md).
PLANTED: dict[str, Any] = {
    "assessor": "ORG001",  # "our organisation" for chains, vouchers and assess
    "exposed_partner": {"org": "ORG021", "via": "ORG025", "listed": "ORG026"},
    "single_holder": {"partnership": "PS020", "org": "ORG087", "partner": "ORG095", "person": "P105"},
    "three_vouchers": {"assessor": "ORG001", "target": "ORG045",
                       "chains": [["ORG001", "ORG017", "ORG045"], ["ORG001", "ORG028", "ORG049", "ORG045"],
                                  ["ORG001", "ORG075", "ORG045"]]},
    "no_vouchers": {"assessor": "ORG001", "target": "ORG050", "only_partner": "ORG051", "warned_by": "ORG042"},
    "repaired_trust": {"a": "ORG044", "b": "ORG043", "incident": "I001", "actions": ["A001", "A002"],
                       "partnerships": ["PS016", "PS017", "PS018"]},
    "ring": {"listed": "ORG015", "shells": ["ORG013", "ORG014", "ORG063"], "front": "ORG016",
             "attack_edge_from": "ORG006", "defrauded_funder": "ORG018"},
    "honest_hub": {"org": "ORG019", "listed_partner": "ORG054", "partnership": "PS010",
                   "endorsers": ["ORG027", "ORG017", "ORG075", "ORG039", "ORG052", "ORG028"]},
    "assess_candidate": {"candidate": "ORG066", "assessor": "ORG001", "known_partner": "ORG011",
                         "second_voucher": "ORG064"},
    "blacklisted": {"ORG026": ["ORG027", "ORG022"], "ORG015": ["ORG005"], "ORG054": ["ORG027"],
                    "ORG061": ["ORG062"]},
    "expired_listing": {"listed": "ORG061", "lister": "ORG062", "later_partner": "ORG052"},
}

# name | sector | country | tags [| pretrusted] [| culture override]; ids ORG001.. follow this order.
REGIONS: dict[str, tuple[str, str]] = {  # region -> (default culture, orgs)
    "Western Europe": ("verify-later", """
        Brugwerk Foundation | foundation | NL | development-finance;governance | pretrusted
        Hartmann-Lindqvist Stiftung | foundation | DE | education;research
        Federal Office for Development Partnerships | government | DE | aid;policy
        Institut Lyonnais de Santé Globale | academic | FR | health;research
        Charitable Trusts Regulatory Authority | government | GB | regulator;charities
        Greywater Engineering plc | private | GB | water;infrastructure
        Solvang Renewables AB | private | SE | energy;climate
        Action Santé Réseau | ngo | FR | health;community
        Lakeshore Institute of Humanitarian Policy | academic | CH | humanitarian;policy | reputation-first
        Correspondent Europa Media Cooperative | media | BE | investigative;governance
        Fair Harvest Cooperative | social_enterprise | BE | agriculture;fair-trade
        Nordic Water Alliance | ngo | DK | water;climate
        Castellan Advisory Ltd | private | CY | consulting;holding
        Valletta Meridian Trading Ltd | private | MT | trading;holding
        Hope Bridge Relief Fund | ngo | GB | relief;appeals
        Bridgeview Community Partners | social_enterprise | GB | community;housing"""),
    "North America": ("verify-later", """
        Whitfield University Center for Global Development | academic | US | research;evaluation | pretrusted
        Carrow Family Foundation | foundation | US | health;education
        Northstar Relief International | ngo | US | humanitarian;shelter;logistics
        Pinecrest Analytics Inc. | private | US | data;evaluation
        Maplebrook Institute for Public Health | academic | CA | health;research
        Office of Foreign Assistance Integrity | government | US | oversight;audit
        Harbor & Pine Impact Ventures | social_enterprise | US | impact-investing;finance
        Open Ledger News | media | US | investigative;data
        Tamarack Clean Water Society | ngo | CA | water;wash
        Brightline Logistics Corp | private | US | logistics;procurement
        Meridian Development Bank | multilateral | US | development-finance;infrastructure | pretrusted"""),
    "East Asia": ("reputation-first", """
        Sakuragawa Foundation for Asian Cooperation | foundation | JP | education;health | pretrusted
        Hanbit Global Partners | ngo | KR | education;youth
        Tokai Precision Instruments Co. | private | JP | manufacturing;health-tech
        Seoul Institute of Sustainable Cities | academic | KR | urban;climate
        Qingshan Environmental Foundation | foundation | CN | forests;climate
        Dongfang Renewables Group | private | CN | energy;manufacturing
        Taipei Open Health Network | ngo | TW | health;open-data | verify-later
        Asia-Pacific Infrastructure Facility | multilateral | JP | infrastructure;development-finance
        Nippon Civic Media Foundation | media | JP | public-media;education
        Mirae Social Ventures | social_enterprise | KR | impact-investing;youth
        Korean Agency for Development Partnerships | government | KR | aid;policy"""),
    "South Asia": ("vouched", """
        Sahyog Rural Development Trust | ngo | IN | livelihoods;agriculture | pretrusted
        Ganga Valley Health Mission | ngo | IN | health;community
        Department of Rural Livelihoods | government | NP | livelihoods;policy
        Indus Microfinance Bank | private | PK | microfinance;financial-inclusion
        Bengal Delta Research Institute | academic | BD | climate;water;research
        Lanka Coastal Resilience Foundation | foundation | LK | climate;coastal
        Anand Solar Solutions Pvt Ltd | social_enterprise | IN | energy;mini-grids
        Padma Voices Media Collective | media | BD | community-media;governance
        Himalayan Water Initiative | ngo | NP | water;wash | relationship-first
        Sindh Textile Works Ltd | private | PK | textiles;manufacturing
        Deccan Institute of Technology and Society | academic | IN | energy;evaluation
        Zephyr Trade Links Pvt Ltd | private | IN | trading;sourcing
        Arcadia Sourcing Pvt Ltd | private | IN | sourcing;logistics"""),
    "Middle East": ("vouched", """
        Levant Humanitarian Coordination Forum | ngo | JO | humanitarian;coordination
        Al Waha Education Foundation | foundation | AE | education;schools
        Gulf Infrastructure Holdings | private | AE | construction;shelter
        Amman Centre for Policy Studies | academic | JO | policy;refugees
        Cedar Relief Network | ngo | LB | relief;health | verify-later
        Jordanian Directorate for Aid Coordination | government | JO | aid;coordination
        Al Bayan Public Media | media | QA | public-media;humanitarian
        Sinai Solar Cooperative | social_enterprise | EG | energy;livelihoods
        Nile Valley Agricultural Research Centre | academic | EG | agriculture;water
        Muscat Trade & Logistics LLC | private | OM | logistics;trading
        Gulf Development Cooperation Fund | multilateral | KW | development-finance;infrastructure
        Orion Gulf Consultancy FZE | private | AE | consulting;holding"""),
    "Latin America": ("relationship-first", """
        Fundación Puentes del Sur | foundation | AR | education;governance
        Instituto Amazônia Viva | ngo | BR | forests;indigenous-rights
        Cooperativa Café Altiplano | social_enterprise | PE | coffee;fair-trade;agriculture
        Universidad Andina de Ciencias Ambientales | academic | CO | climate;research
        Agencia Mexicana de Cooperación Solidaria | government | MX | aid;policy
        Grupo Verdemar S.A. | private | MX | agribusiness;water
        Rede Cidadã de Comunicação | media | BR | community-media;rights
        Fundación Semillas de Esperanza | ngo | CO | education;peacebuilding
        Minera Cordillera Andina S.A. | private | CL | mining;infrastructure | verify-later
        Centro de Estudios Urbanos de Santiago | academic | CL | urban;housing
        Caja Andina de Microcrédito | private | PE | microfinance;financial-inclusion"""),
    "East Africa": ("relationship-first", """
        Amber Ridge Water Trust | ngo | KE | water;wash | pretrusted
        Kilimanjaro Farmers Cooperative Union | social_enterprise | TZ | agriculture;coffee
        Victoria Lakes University | academic | UG | health;research
        Rwanda Directorate for Development Partnerships | government | RW | aid;policy | vouched
        Savanna Solar Ltd | private | KE | energy;mini-grids
        Addis Health Innovation Hub | ngo | ET | health;innovation | vouched
        Mwangaza Media Trust | media | KE | investigative;governance
        East African Resilience Fund | foundation | KE | climate;resilience
        Nile Basin Freight Ltd | private | UG | logistics;trading
        Tana River Conservancy | ngo | KE | conservation;water
        Ujuzi Digital Skills | social_enterprise | TZ | digital;youth"""),
    "West Africa": ("vouched", """
        Sahel Resilience Alliance | ngo | SN | climate;food-security | relationship-first
        Gold Coast Development Foundation | foundation | GH | livelihoods;energy
        Lagos Institute of Public Policy | academic | NG | policy;governance
        Public Procurement Integrity Authority | government | NG | regulator;procurement
        Niger Delta Energy Services Ltd | private | NG | energy;oil-services
        Ivoire Agro-Commerce SA | private | CI | cocoa;agribusiness
        Radio Teranga Communautaire | media | SN | community-media;health
        Accra Women's Enterprise Network | social_enterprise | GH | women;enterprise
        West African Infrastructure Fund | multilateral | CI | infrastructure;development-finance
        Kumasi Clean Energy Cooperative | social_enterprise | GH | energy;mini-grids
        Freetown Health Alliance | ngo | SL | health;community | relationship-first"""),
}

NAMES = {  # name pool -> (given names, family names)
    "en": ("Emily Michael Sarah David Rachel Marcus Olivia Jordan Hannah James Grace Owen".split(),
           "Thompson Carter Robinson Hughes Bennett Campbell Walsh Foster Reid Sullivan Price Doyle".split()),
    "de": ("Anna Lukas Sophie Pieter Ingrid Jonas Eva Henrik Maren Tobias Lotte Sven".split(),
           "Müller Jansen Bergström Schmidt Nielsen Verhoeven Fischer Lindqvist Bakker Hoffmann".split()),
    "fr": ("Camille Julien Claire Mathieu Élodie Antoine Chloé Nicolas Margaux Hugo".split(),
           "Laurent Dubois Moreau Lefèvre Girard Fontaine Mercier Rousseau Peeters Martin".split()),
    "med": ("Andreas Elena Nikos Maria Joseph Christina".split(),
            "Georgiou Borg Camilleri Christodoulou Vella Papadopoulos".split()),
    "jp": ("Haruto Yuki Kenji Aiko Hiroshi Sakura Takeshi Emi".split(),
           "Tanaka Sato Nakamura Yamamoto Kobayashi Watanabe Ito Mori".split()),
    "kr": ("Min-jun Seo-yeon Ji-woo Hyun-woo Soo-ah Dong-hyun".split(), "Kim Park Lee Choi Jung Kang".split()),
    "cn": ("Wei Mei Jun Xiu Hao Lin Yan Tao".split(), "Chen Wang Zhang Liu Huang Zhao Wu Lin".split()),
    "in": ("Priya Arjun Ananya Rohan Kavita Vikram Meera Sanjay Deepa Rahul Nimal Dilani".split(),
           "Sharma Iyer Nair Gupta Reddy Mehta Thapa Rao Desai Bose Perera Fernando".split()),
    "pk": ("Ayesha Imran Farhan Nusrat Tahmina Bilal Sadia Kamal".split(),
           "Rahman Khan Chowdhury Hossain Qureshi Malik Ahmed Siddiqui".split()),
    "ar": ("Layla Omar Rania Khalid Nour Tariq Yasmin Karim Huda Samir".split(),
           "Haddad Al-Masri Nasser Khoury Saleh Al-Farsi Mansour Hamdan Aziz Darwish".split()),
    "es": ("Sofía Mateo Valentina Diego Camila Andrés Lucía Javier Daniela Carlos".split(),
           "González Rodríguez Herrera Morales Castillo Vargas Rojas Mendoza Quispe Ortega".split()),
    "pt": ("Ana João Beatriz Rafael Mariana Thiago Juliana Felipe".split(),
           "Silva Santos Oliveira Souza Pereira Costa Almeida Ferreira".split()),
    "eaf": ("Wanjiru Amina Baraka Neema Daudi Achieng Halima Tesfaye Mugisha Grace Zawadi Abebe".split(),
            "Otieno Kamau Mwangi Okello Mushi Nsengimana Bekele Wanjala Kiprop Namutebi Mutua".split()),
    "waf": ("Kwame Ama Chinedu Ngozi Kofi Efua Adebayo Fatou Ibrahima Aminata Yaw Funmilayo".split(),
            "Mensah Okafor Adeyemi Diallo Ndiaye Boateng Owusu Traoré Koné Conteh Eze Asante".split()),
}
POOL_OF_COUNTRY = {**dict.fromkeys("GB US CA".split(), "en"), **dict.fromkeys("NL DE SE DK CH".split(), "de"),
                   **dict.fromkeys("FR BE".split(), "fr"), **dict.fromkeys("CY MT".split(), "med"),
                   "JP": "jp", "KR": "kr", "CN": "cn", "TW": "cn", **dict.fromkeys("IN NP LK".split(), "in"),
                   **dict.fromkeys("PK BD".split(), "pk"), **dict.fromkeys("JO AE LB EG QA OM KW".split(), "ar"),
                   **dict.fromkeys("AR PE CO MX CL".split(), "es"), "BR": "pt",
                   **dict.fromkeys("KE TZ UG RW ET".split(), "eaf"), **dict.fromkeys("GH NG SN CI SL".split(), "waf")}
LEAD_ROLES = ["Executive Director", "Director of Partnerships", "Chief Executive", "Country Director"]
ROLES = ["Partnerships Manager", "Programme Officer", "Head of Research", "Grants Manager", "Procurement Lead",
         "Chief Operating Officer", "Senior Advisor", "Director of Programmes", "Finance Director"]
THEMES = {  # partnership theme -> the organisation tags it suits
    "Coastal Resilience": "climate coastal water", "Smallholder Market Access": "agriculture coffee fair-trade",
    "Clean Cooking": "energy health", "Urban Water Security": "water wash urban",
    "Maternal Health": "health community", "Digital Skills for Youth": "digital youth education",
    "Climate Adaptation": "climate resilience food-security", "Renewable Mini-Grids": "energy mini-grids",
    "Refugee Education": "education refugees humanitarian schools",
    "Open Data for Accountability": "open-data data governance investigative evaluation",
    "Sustainable Cocoa": "cocoa agribusiness", "Pandemic Preparedness": "health health-tech innovation",
    "Financial Inclusion": "microfinance financial-inclusion finance impact-investing",
    "Forest Landscape Restoration": "forests conservation indigenous-rights",
    "Disaster Logistics": "logistics humanitarian relief shelter trading", "Women's Enterprise": "women enterprise",
    "Drought Early Warning": "climate food-security water", "Community Radio": "community-media public-media",
    "Independent Journalism": "investigative public-media", "School Nutrition": "education schools agriculture",
    "Circular Textiles": "textiles manufacturing", "Sustainable Cities": "urban housing infrastructure",
    "Aid Effectiveness": "aid policy oversight coordination development-finance", "Rural Livelihoods": "livelihoods",
    "Resilient Infrastructure": "infrastructure construction mining oil-services",
    "Water Basin Management": "water conservation agribusiness", "Health Systems": "health research",
}
KIND_SUFFIX = {"bilateral": "Partnership", "consortium": "Consortium", "platform": "Platform",
               "joint_venture": "Joint Venture", "grant": "Grant", "supply": "Supply Agreement",
               "research": "Research Programme"}
GOOD_NOTES = ["Delivered the joint programme on time", "Reliable co-implementer in the field",
              "Strong financial controls", "Transparent reporting throughout", "Recommended for follow-on funding",
              "Good local networks", "Responsive during the emergency phase", "Trusted by the communities served"]
BAD_NOTES = ["Missed reporting deadlines repeatedly", "Unclear sub-contracting arrangements",
             "Staff turnover disrupted delivery", "Declined to share audited accounts"]
INCIDENT_TEXT = {
    "missed_commitment": "Quarterly report {n} weeks late", "communication_breakdown": "No response for {n} weeks",
    "quality_failure": "Baseline survey failed quality review", "data_breach": "Beneficiary list on an open drive",
    "financial_irregularity": "Unsupported expenses in the annual audit",
    "reputational_damage": "Press coverage of a staff misconduct case",
    "legal_conflict": "Dispute over rights to joint outputs", "termination": "Withdrew without agreed notice",
    "fraud": "Falsified attendance records for {n} training sessions"}
ACTION_TEXT = {"post_mortem": "Joint review; corrective plan agreed", "mediation": "Facilitated by a neutral party",
               "staff_rotation": "Project lead replaced on the partner side",
               "reset": "Written reset of roles and reporting lines", "termination": "Partnership ended",
               "legal_action": "Claim filed to recover funds"}


def _d(x: date | str) -> date:
    return x if isinstance(x, date) else date.fromisoformat(x)


def rdate(rng: random.Random, lo: date | str, hi: date | str) -> date:
    lo, hi = _d(lo), _d(hi)
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


class Dataset:
    """Rows per table (values as Python objects) plus the indexes the generator needs."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.counters: dict[str, int] = defaultdict(int)
        self.orgs: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, Any]] = {}
        self.people_of: dict[str, list[str]] = defaultdict(list)
        self.members: dict[str, list[str]] = {}
        self.ps: dict[str, dict[str, Any]] = {}

    def add(self, table: str, prefix: str = "", width: int = 3, /, **row: Any) -> dict[str, Any]:
        if prefix:
            self.counters[table] += 1
            row = {"id": f"{prefix}{self.counters[table]:0{width}d}", **row}
        self.rows[table].append(row)
        return row

    def person(self, org: str, name: str, role: str, start: date, until: date | None = None,
               previous: str | None = None) -> str:
        p = self.add("people", "P", name=name, organization=org, role=role, **{"from": start}, until=until,
                     previous=previous)
        self.people[p["id"]] = p
        self.people_of[org].append(p["id"])
        return p["id"]

    def partnership(self, name: str, kind: str, start: str | date, end: str | date | None, status: str,
                    members: list[tuple[str, str]]) -> str:
        ps = self.add("partnerships", "PS", name=name, kind=kind, start=_d(start),
                      end=_d(end) if end else None, status=status)
        self.ps[ps["id"]], self.members[ps["id"]] = ps, [o for o, _ in members]
        for org, role in members:
            self.add("partnership_members", partnership=ps["id"], organization=org, role=role)
        return ps["id"]

    def refer(self, src: str, dst: str, strength: float, when: str | date, note: str = "",
              recipient: str | None = None) -> str:
        return self.add("referrals", "R", 4, source=src, target=dst, strength=round(strength, 2),
                        date=_d(when), recipient=recipient, note=note)["id"]

    def talk(self, a: str, b: str, when: str | date, channel: str) -> None:
        self.add("communications", "C", 4, a=a, b=b, date=_d(when), channel=channel)

    def incident(self, rep: str, sub: str, kind: str, sev: int, when: str | date, ps: str, text: str,
                 actions: Iterable[tuple[str, str | date, str]] = ()) -> str:
        inc = self.add("incidents", "I", reporter=rep, subject=sub, kind=kind, severity=sev, date=_d(when),
                       partnership=ps, description=text)["id"]
        for kind_, when_, note in actions:
            self.add("incident_actions", "A", incident=inc, kind=kind_, date=_d(when_), note=note)
        return inc


def build_orgs(D: Dataset, rng: random.Random) -> None:
    for region, (culture, block) in REGIONS.items():
        for line in block.strip().splitlines():
            name, sector, country, tags, *flags = (f.strip() for f in line.split("|"))
            cult = next((f for f in flags if f != "pretrusted"), culture)
            risk = rng.choices(["low", "medium", "high"], [3, 5, 2])[0]
            row = D.add("organizations", "ORG", name=name, sector=sector, country=country, region=region,
                        culture=cult, risk_appetite=risk, pretrusted="pretrusted" in flags, tags=tags.split(";"))
            D.orgs[row["id"]] = row


def build_people(D: Dataset, rng: random.Random, planted_orgs: set[str]) -> None:
    used: set[str] = set()

    def name_for(org: str) -> str:
        given, family = NAMES[POOL_OF_COUNTRY[D.orgs[org]["country"]]]
        while (n := f"{rng.choice(given)} {rng.choice(family)}") in used:
            pass
        used.add(n)
        return n

    fixed = {"ORG001": 3, "ORG011": 2, "ORG066": 2, "ORG087": 3, "ORG095": 2, "ORG019": 3, "ORG015": 2}
    late = {"ORG013": "2021", "ORG014": "2021", "ORG063": "2021", "ORG016": "2022", "ORG050": "2023",
            "ORG051": "2024"}
    for org in D.orgs:
        for i in range(fixed.get(org) or rng.choices([1, 2], [84, 16])[0]):
            lo = f"{late[org]}-01-01" if org in late else "2006-01-01"
            hi = f"{late[org]}-12-31" if org in late else "2019-12-31"
            D.person(org, name_for(org), rng.choice(LEAD_ROLES if i == 0 else ROLES), rdate(rng, lo, hi))
    # Job changes: the old position ends on the move date, the new one points back to it.
    movable = sorted(o for o in D.orgs if o not in planted_orgs)
    for old in rng.sample([p for p in D.people.copy() if D.people[p]["organization"] in movable], 8):
        src = D.people[old]
        move = rdate(rng, max(src["from"] + timedelta(days=730), date(2017, 1, 1)), "2024-12-31")
        dest = rng.choice([o for o in movable if o != src["organization"]])
        src["until"] = move
        new = D.person(dest, src["name"], rng.choice(ROLES), move, previous=old)
        mates = [p for p in D.people_of[src["organization"]] if p != old and not D.people[p]["until"]]
        if mates:
            D.add("personal_ties", a=new, b=rng.choice(mates), kind="former_colleague", since=move)


def build_planted(D: Dataset) -> None:
    """The planted situations; their partnerships, incidents and referrals get the first ids."""
    A, K, K2, C = "ORG001", "ORG011", "ORG064", "ORG066"
    H, L1, L2, L3, L4 = "ORG019", "ORG026", "ORG015", "ORG054", "ORG061"
    E, X, Y = "ORG021", "ORG025", "ORG023"
    ring, front = ["ORG013", "ORG014", "ORG063"], "ORG016"
    # PS001-PS003 assess_candidate: C is known only through K (a past grantee of A) and K2.
    D.partnership("Fair Trade Market Access Grant", "grant", "2019-01-15", "2021-12-31", "completed",
                  [(A, "funder"), (K, "implementer")])
    D.partnership("Andean Fair-Trade Coffee Supply Agreement", "supply", "2020-06-01", "2023-05-31",
                  "completed", [(K, "lead"), (C, "member")])
    D.partnership("Altiplano Cooperative Governance Partnership", "bilateral", "2022-09-01", None, "active",
                  [(K2, "lead"), (C, "member")])
    # PS004-PS006 exposed_partner: E -- X -- L1 (and Y, whose joint venture with L1 ended in a fraud).
    D.partnership("Northern Communities Water Quality Study", "research", "2020-09-01", "2023-08-31",
                  "completed", [(E, "lead"), (X, "member")])
    D.partnership("Cross-Border WASH Supply Agreement", "supply", "2021-02-01", None, "active",
                  [(X, "lead"), (L1, "member")])
    D.partnership("Last-Mile Logistics Joint Venture", "joint_venture", "2019-06-01", "2022-05-15",
                  "terminated", [(Y, "lead"), (L1, "member")])
    # PS007-PS012 honest_hub: H works with reputable parties, and once (PS010) with L3.
    D.partnership("Global Shelter Logistics Grant", "grant", "2016-05-01", "2019-04-30", "completed",
                  [("ORG027", "funder"), (H, "implementer")])
    D.partnership("Displacement Response Research Consortium", "consortium", "2018-01-15", "2021-12-31",
                  "completed", [(H, "lead"), ("ORG017", "member"), ("ORG052", "member"), ("ORG055", "member"),
                                ("ORG056", "member")])
    D.partnership("Monsoon Preparedness Partnership", "bilateral", "2019-07-01", "2023-06-30", "completed",
                  [(H, "lead"), ("ORG039", "member")])
    D.partnership("Prefabricated Shelter Supply Agreement", "supply", "2021-04-01", "2023-03-15",
                  "terminated", [(H, "lead"), (L3, "member")])
    D.partnership("East Africa Emergency WASH Partnership", "bilateral", "2020-03-01", None, "active",
                  [(H, "lead"), ("ORG075", "member")])
    D.partnership("School Construction Supply Agreement", "supply", "2018-02-01", "2020-01-31", "completed",
                  [("ORG053", "lead"), (L3, "member")])
    # PS013-PS015 ring: the listed charity, its shells and its front.
    D.partnership("Hope Bridge Emergency Appeals Joint Venture", "joint_venture", "2022-03-01", None, "active",
                  [(L2, "lead")] + [(s, "member") for s in ring])
    D.partnership("Bridgeview Community Relief Programme", "bilateral", "2023-01-15", None, "active",
                  [(front, "lead"), (L2, "member")])
    D.partnership("Hope Bridge Winter Relief Grant", "grant", "2021-10-01", "2023-11-30", "terminated",
                  [("ORG018", "funder"), (L2, "implementer")])
    # PS016-PS018 repaired_trust: funder A_r and research institute B_r.
    ar, br = "ORG044", "ORG043"
    D.partnership("Bay of Bengal Mangrove Monitoring Grant", "grant", "2016-03-01", "2018-12-31", "completed",
                  [(ar, "funder"), (br, "implementer")])
    D.partnership("Coastal Salinity Research Programme", "research", "2019-05-01", "2022-04-30", "completed",
                  [(ar, "funder"), (br, "lead")])
    D.partnership("Delta Salinity Early-Warning Grant", "grant", "2022-07-01", None, "active",
                  [(ar, "funder"), (br, "implementer")])
    # PS019 no_vouchers (two newcomers), PS020 single_holder, PS021-PS022 the expired listing.
    D.partnership("Zephyr-Arcadia Sourcing Agreement", "supply", "2024-09-01", None, "active",
                  [("ORG050", "lead"), ("ORG051", "member")])
    D.partnership("Ashanti Solar Mini-Grids Grant", "grant", "2021-04-01", None, "active",
                  [("ORG087", "funder"), ("ORG095", "implementer")])
    D.partnership("Medical Supplies Logistics Agreement", "supply", "2017-04-01", "2019-02-15", "terminated",
                  [("ORG056", "lead"), (L4, "member")])
    D.partnership("Humanitarian Corridor Logistics Agreement", "supply", "2022-01-10", None, "active",
                  [("ORG052", "lead"), (L4, "member")])

    # Incidents I001-I005 and their actions.
    D.incident(ar, br, "quality_failure", 3, "2021-03-10", "PS017",
               "Salinity survey data failed validation; six months of sampling repeated",
               [("post_mortem", "2021-05-04", "Joint review: sensor calibration skipped; QA checklist adopted"),
                ("reset", "2021-09-01", "Written reset: revised QA protocol, joint steering group")])
    D.incident(Y, L1, "financial_irregularity", 5, "2022-04-20", "PS006",
               "Undisclosed payments to a procurement official",
               [("termination", "2022-05-15", "Joint venture dissolved"),
                ("legal_action", "2022-08-01", "Civil claim filed to recover misappropriated funds")])
    D.incident(H, L3, "fraud", 4, "2023-02-06", "PS010", "Invoiced for 400 shelter units never delivered",
               [("termination", "2023-03-15", "Contract terminated; remaining payments withheld")])
    D.incident("ORG018", L2, "financial_irregularity", 4, "2023-07-12", "PS015",
               "Audit found appeal funds routed to related-party consultancies",
               [("mediation", "2023-09-05", "Mediation failed; documents withheld"),
                ("termination", "2023-11-30", "Grant terminated")])
    D.incident("ORG056", L4, "missed_commitment", 3, "2019-01-10", "PS021",
               "Three consignments of medical supplies more than eight weeks late",
               [("termination", "2019-02-15", "Agreement terminated")])

    # Referrals: three_vouchers (three disjoint chains to ORG045), assess_candidate, hub, ring, warnings.
    for v, s, when in (("ORG017", 0.9, "2019-04-02"), ("ORG028", 0.85, "2020-02-18"), ("ORG075", 0.9, "2018-11-05")):
        D.refer(A, v, s, when, "Long-standing, well-governed partner")
    D.refer("ORG017", "ORG045", 0.85, "2022-03-14", "Independent evaluation rated the mini-grids highly")
    D.refer("ORG028", "ORG049", 0.8, "2021-06-30", "Rigorous technical evaluations")
    D.refer("ORG049", "ORG045", 0.8, "2022-09-09", "Field-tested their solar pumps for two seasons")
    D.refer("ORG075", "ORG045", 0.9, "2023-01-20", "Delivered solar pumping on time in two counties", A)
    D.refer(A, K, 0.4, "2022-02-10", "Solid delivery; reporting sometimes late")
    D.refer(A, K2, 0.5, "2021-06-01", "Good local networks in the Southern Cone")
    D.refer(K, C, 0.7, "2023-06-15", "Reliable supplier; met every shipment", A)
    D.refer(K2, C, 0.6, "2024-03-01", "Well-governed cooperative; transparent books")
    for src, s, when in (("ORG027", 0.9, "2019-06-01"), ("ORG017", 0.85, "2021-03-15"),
                         ("ORG075", 0.9, "2022-05-10"), ("ORG039", 0.8, "2023-08-01"),
                         ("ORG052", 0.85, "2022-01-20"), ("ORG028", 0.8, "2024-02-12")):
        D.refer(src, H, s, when, "Dependable humanitarian logistics partner")
    D.refer(H, L3, -0.7, "2023-04-02", "Invoiced for undelivered shelter units", "ORG027")
    D.refer(Y, L1, -0.8, "2022-06-01", "Undisclosed payments to officials")
    D.refer("ORG027", L1, -0.9, "2022-09-20", "Debarred for collusive bidding")
    D.refer("ORG010", L2, -0.7, "2023-10-03", "Appeal funds traced to related-party shells")
    D.refer("ORG052", L4, 0.5, "2023-05-15", "Reliable since its listing lapsed; accounts now audited")
    D.refer(E, X, 0.75, "2023-10-02", "Careful, well-run field partner")
    D.refer("ORG044", "ORG043", 0.8, "2018-06-12", "Delivered the mangrove survey on time and on budget")
    D.refer("ORG044", "ORG043", 0.7, "2023-03-20", "Revised QA protocol working well")
    D.refer("ORG044", "ORG043", 0.85, "2024-11-05", "Fully recovered; recommended for follow-on funding", "ORG039")
    D.refer("ORG042", "ORG050", -0.6, "2025-02-14", "Could not verify trade references; no audited accounts")
    members = ring + [L2]
    for i, shell in enumerate(ring):  # the ring only vouches inside itself, for its listed member and the front
        for t in members + [front]:
            if t != shell:
                D.refer(shell, t, 0.9 + 0.02 * i, f"2023-0{i + 2}-1{i}", "Trusted partner of many years")
        D.refer(L2, shell, 0.9, f"2023-0{i + 5}-0{i + 1}", "Trusted partner of many years")
    D.refer(front, L2, 0.85, "2023-06-20", "Outstanding community relief work")
    D.refer("ORG006", front, 0.4, "2023-09-12", "Met at a community-investment forum; seemed well organised")

    # Communications of the planted pairs (random ones come later, only between ordinary parties).
    for a, b, dates in ((A, K, ["2019-02-01", "2020-05-12", "2021-11-30"]),
                        (K, C, ["2020-04-20", "2021-09-02", "2023-02-14"]),
                        (K2, C, ["2022-08-10", "2023-11-21", "2025-03-04"]),
                        (ar, br, ["2016-04-01", "2017-03-15", "2018-02-20", "2019-06-11", "2020-07-07",
                                  "2021-03-12", "2021-05-04", "2021-09-01", "2022-10-18", "2023-06-05",
                                  "2024-04-22", "2025-01-30"]),
                        (H, L3, ["2021-05-03", "2022-06-14", "2023-02-08"]),
                        ("ORG050", "ORG051", ["2024-08-12", "2025-01-09"]),
                        (X, L1, ["2021-03-01", "2023-04-18"]),
                        ("ORG013", "ORG014", ["2022-04-04"]), ("ORG014", "ORG063", ["2022-11-22"]),
                        (L2, "ORG013", ["2023-02-01"]), (front, L2, ["2023-05-30", "2024-01-17"])):
        for i, when in enumerate(dates):
            D.talk(a, b, when, ["meeting", "call", "email", "visit"][i % 4])


def build_random(D: Dataset, rng: random.Random, reserved: set[str]) -> None:
    ordinary = [o for o in D.orgs if o not in reserved]
    weights = [3 if D.orgs[o]["pretrusted"] else 2 if o == "ORG019" else 1 for o in ordinary]
    funders = [o for o in ordinary if D.orgs[o]["sector"] in ("foundation", "multilateral", "government")]
    forbidden = {frozenset(p) for p in (("ORG044", "ORG043"), ("ORG087", "ORG095"), ("ORG001", "ORG011"),
                                        ("ORG001", "ORG064"))}
    names: set[str] = {ps["name"] for ps in D.ps.values()}
    adjective = {"Western Europe": "European", "North America": "North American", "East Asia": "East Asian",
                 "South Asia": "South Asian", "Middle East": "Middle East", "Latin America": "Latin American",
                 "East Africa": "East African", "West Africa": "West African"}
    first_random = len(D.ps) + 1
    while len(D.ps) < 100:
        kind = rng.choices(list(KIND_SUFFIX), [20, 14, 10, 6, 18, 10, 14])[0]
        size = {"consortium": rng.randint(4, 7), "platform": rng.randint(5, 9)}.get(
            kind, rng.choice([2, 2, 3]) if kind in ("research", "joint_venture") else 2)
        chosen = [rng.choice(funders)] if kind == "grant" else []
        while len(chosen) < size:
            o = rng.choices(ordinary, weights)[0]
            if o not in chosen and not any(frozenset((o, c)) in forbidden for c in chosen):
                chosen.append(o)
        start = rdate(rng, "2015-01-01", "2024-12-31")
        years = rng.randint(3, 8) if kind in ("platform", "consortium") else rng.randint(1, 5)
        end: date | None = start + timedelta(days=365 * years)
        if end and end > REF:
            end, status = None, rng.choices(["active", "suspended"], [92, 8])[0]
        else:
            status = rng.choices(["completed", "terminated"], [88, 12])[0]
        regions = {D.orgs[o]["region"] for o in chosen}
        prefix = "Global" if len(regions) > 2 else adjective[D.orgs[chosen[0]]["region"]]
        tags = {t for o in chosen for t in D.orgs[o]["tags"]}
        themes = [t for t, suits in THEMES.items() if tags & set(suits.split())
                  and f"{prefix} {t} {KIND_SUFFIX[kind]}" not in names] or list(THEMES)
        name = f"{prefix} {rng.choice(themes)} {KIND_SUFFIX[kind]}"
        while name in names:
            name += " II" if not name.endswith("I") else "I"
        names.add(name)
        lead = "funder" if kind == "grant" else "lead"
        rest = "implementer" if kind == "grant" else "member"
        roles = [lead] + [rest] * (size - 1)
        if kind == "platform" and rng.random() < 0.4:
            roles[-1] = "observer"
        D.partnership(name, kind, start, end, status, list(zip(chosen, roles, strict=True)))
    random_ps = [f"PS{i:03d}" for i in range(first_random, len(D.ps) + 1)]

    # Incidents inside random partnerships; some get repair or escalation, some nothing at all.
    calm = {"ORG019", "ORG011", "ORG064", "ORG043", "ORG044", "ORG045"}
    candidates = [ps for ps in random_ps if not calm & set(D.members[ps])]
    for ps_id in rng.sample(candidates, 16):
        ps = D.ps[ps_id]
        rep, sub = rng.sample(D.members[ps_id], 2)
        when = rdate(rng, ps["start"] + timedelta(days=60), min(ps["end"] or REF, REF - timedelta(days=30)))
        kind = rng.choices(list(INCIDENT_TEXT), [20, 15, 15, 6, 10, 8, 6, 5, 4])[0]
        sev = rng.choices([1, 2, 3, 4, 5], [12, 30, 30, 18, 10])[0]
        repairs = rng.choices([0, 1, 2], [25, 40, 35])[0]
        steps = rng.sample(["post_mortem", "mediation", "staff_rotation", "reset"], repairs)
        if sev >= 4 and rng.random() < 0.6:
            steps += ["termination"] + (["legal_action"] if sev == 5 else [])
        actions: list[tuple[str, str | date, str]] = []
        day = when
        for step in steps:
            day += timedelta(days=rng.randint(14, 120))
            if day > REF:
                break
            if step == "termination":
                if ps["end"] and ps["end"] < day:
                    continue  # it had already ended
                ps["status"], ps["end"] = "terminated", day
            actions.append((step, day, ACTION_TEXT[step]))
        D.incident(rep, sub, kind, sev, when, ps_id, INCIDENT_TEXT[kind].format(n=rng.randint(3, 12)), actions)

    # Referrals: mostly between people who worked together; about one in nine is a warning.
    worked: list[tuple[str, str, date]] = [
        (a, b, D.ps[ps]["start"]) for ps in random_ps for a in D.members[ps] for b in D.members[ps] if a != b]
    no_warning = {"ORG045", "ORG019", "ORG011", "ORG064", "ORG043", "ORG044"}
    while len(D.rows["referrals"]) < 200:
        if rng.random() < 0.7:
            src, dst, since = rng.choice(worked)
        else:
            (src, dst), since = rng.sample(ordinary, 2), date(2016, 1, 1)
        if frozenset((src, dst)) in forbidden:
            continue
        negative = rng.random() < 0.11 and dst not in no_warning
        strength = -rng.uniform(0.2, 0.9) if negative else rng.uniform(0.3, 1.0)
        recipient = rng.choice([o for o in ordinary if o not in (src, dst)]) if rng.random() < 0.3 else None
        D.refer(src, dst, strength, rdate(rng, max(since + timedelta(days=90), date(2016, 1, 1)), REF),
                rng.choice(BAD_NOTES if negative else GOOD_NOTES), recipient)

    # Communications inside random partnerships, dated while the partnership ran.
    channels = list(model_choices("communications", "channel"))
    while len(D.rows["communications"]) < 300:
        ps = D.ps[rng.choice(random_ps)]
        a, b = rng.sample(D.members[ps["id"]], 2)
        D.talk(a, b, rdate(rng, ps["start"], min(ps["end"] or REF, REF)),
               rng.choices(channels, [20, 25, 35, 8, 8, 4])[0])

    # Personal ties between people of ordinary parties (not the candidate's known partners: see README).
    people = [p for p, r in D.people.items()
              if r["organization"] in ordinary and r["organization"] not in ("ORG011", "ORG064")]
    seen = {frozenset((t["a"], t["b"])) for t in D.rows["personal_ties"]}
    kinds = ["colleague", "former_colleague", "friend", "alumni", "board", "family"]
    while len(D.rows["personal_ties"]) < 143:
        a, b = sorted(rng.sample(people, 2))
        pa, pb = D.people[a], D.people[b]
        if pa["organization"] == pb["organization"] or pa["name"] == pb["name"] or frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        D.add("personal_ties", a=a, b=b, kind=rng.choices(kinds, [10, 25, 20, 25, 15, 5])[0],
              since=rdate(rng, "2000-01-01", "2024-12-31"))


def model_choices(table: str, column: str) -> tuple[str, ...]:
    return TABLES[table].column(column).choices


def assign_holders(D: Dataset, rng: random.Random) -> None:
    """Who holds each partnership on each member side (planted sides are fixed, the rest drawn)."""
    fixed = {("PS001", "ORG001"): [0], ("PS001", "ORG011"): [0], ("PS002", "ORG011"): [1],
             ("PS002", "ORG066"): [0], ("PS003", "ORG064"): [0], ("PS003", "ORG066"): [1],
             ("PS020", "ORG087"): [0], ("PS020", "ORG095"): [0]}
    for ps_id, ps in D.ps.items():
        last = min(ps["end"] or REF, REF)
        for org in D.members[ps_id]:
            staff = [p for p in D.people_of[org] if D.people[p]["from"] <= last
                     and (D.people[p]["until"] is None or D.people[p]["until"] >= ps["start"])]
            if (ps_id, org) in fixed:
                chosen = [D.people_of[org][i] for i in fixed[(ps_id, org)]]
            else:
                chosen = rng.sample(staff, min(len(staff), rng.choices([0, 1, 2, 3], [12, 58, 25, 5])[0]))
            for p in chosen:
                D.add("relationship_holders", person=p, partnership=ps_id, since=max(ps["start"], D.people[p]["from"]))


def build_blacklist(D: Dataset) -> None:
    for lister, listed, when, until, reason, source in (
        ("ORG027", "ORG026", "2022-09-14", None, "Collusive bidding on donor-funded procurement",
         "Sanctions Board decision 2022/31"),
        ("ORG022", "ORG026", "2023-01-20", None, "Debarment following a kickback investigation",
         "Suspension and debarment notice FY2023-07"),
        ("ORG005", "ORG015", "2024-02-01", None,
         "Misuse of charitable appeal funds; undisclosed related-party payments",
         "Regulatory inquiry report 2024/02"),
        ("ORG027", "ORG054", "2023-05-10", None, "Fraudulent invoicing under a donor-financed shelter contract",
         "Sanctions Board decision 2023/12"),
        ("ORG062", "ORG061", "2019-03-01", "2021-03-01", "Failure to file audited accounts for two consecutive years",
         "Vendor eligibility notice 2019/04"),
    ):
        D.add("blacklist", "B", lister=lister, listed=listed, date=_d(when), until=_d(until) if until else None,
              reason=reason, source=source)


def build_assessments(D: Dataset) -> None:
    """Capability evidence (assessments.csv), planted: an audited strong party (ORG011: an outside
    audit and ORG001's site visit), a party with only a self-assessment (ORG064), and an expired
    audit (ORG050: valid until 2021, so its capability is unknown as of the dataset's date)."""
    for assessor, subject, dimension, score, when, until, method, source in (
        ("Baker Tilly Brussels", "ORG011", "financial_management", 88, "2024-09-15", "2026-09-14", "audit",
         "Statutory audit FY2023"),
        ("Baker Tilly Brussels", "ORG011", "governance", 84, "2024-09-15", "2026-09-14", "audit",
         "Statutory audit FY2023, governance letter"),
        ("ORG001", "ORG011", "delivery_capacity", 80, "2025-02-11", "2027-02-10", "site_visit",
         "Monitoring visit to the cooperative's collection centres"),
        ("ORG064", "ORG064", "governance", 90, "2025-01-20", "2027-01-19", "self_assessment",
         "Board self-assessment questionnaire"),
        ("ORG064", "ORG064", "safeguarding", 85, "2025-01-20", "2027-01-19", "self_assessment",
         "Safeguarding self-assessment"),
        ("KPMG Mumbai", "ORG050", "financial_management", 72, "2019-05-02", "2021-05-01", "audit",
         "Audit of FY2018 accounts"),
    ):
        D.add("assessments", "AS", assessor=assessor, subject=subject, dimension=dimension, rating=float(score),
              date=_d(when), valid_until=_d(until), method=method, source=source)


#: Person-level breaches (issue 18): incidents that name the people involved. ``rotated``: a staff
#: rotation repaired the organisations' trust and the two people were not paired again (the
#: partnership runs on, held by colleagues); ``re_paired``: rotated, yet the subject's person was put
#: back on the same partnership (holding recorded again after the rotation): ``health`` flags it.
PERSON_BREACHES: dict[str, Any] = {
    "rotated": {"partnership": "PS067", "reporter": "ORG073", "subject": "ORG010", "reporter_person": "P089",
                "subject_person": "P013", "date": "2024-05-14", "rotation": "2024-07-01"},
    "re_paired": {"partnership": "PS089", "reporter": "ORG047", "subject": "ORG092", "date": "2023-09-18",
                  "rotation": "2023-11-06", "again": "2024-10-01"},
}


def build_person_breaches(D: Dataset) -> None:
    """The rows of :data:`PERSON_BREACHES` (new rows only: no earlier row changes)."""
    r = PERSON_BREACHES["rotated"]
    inc = D.incident(r["reporter"], r["subject"], "communication_breakdown", 3, r["date"], r["partnership"],
                     "Steering meetings broke down between the two leads; neither would chair with the other",
                     [("staff_rotation", r["rotation"], "ORG010's partnerships manager (P014) takes the lead; "
                       "Hugo Mercier steps back from the partnership")])
    D.rows["incidents"][-1].update(reporter_person=r["reporter_person"], subject_person=r["subject_person"])
    r["incident"] = inc
    q = PERSON_BREACHES["re_paired"]
    a = D.person(q["reporter"], "Bikash Gurung", "Programme Manager", _d("2018-03-01"))
    b = D.person(q["subject"], "Moussa Diop", "Programme Officer", _d("2017-06-01"))
    D.add("relationship_holders", person=a, partnership=q["partnership"], since=_d("2020-07-07"))
    # held since the partnership began; recorded again after the rotation: the key (person,
    # partnership) keeps one row, its ``since`` the latest assignment
    D.add("relationship_holders", person=b, partnership=q["partnership"], since=_d(q["again"]))
    inc = D.incident(q["reporter"], q["subject"], "communication_breakdown", 2, q["date"], q["partnership"],
                     "Broadcast schedule disputes between the two programme staff",
                     [("staff_rotation", q["rotation"], "Moussa Diop moved off the partnership")])
    D.rows["incidents"][-1].update(reporter_person=a, subject_person=b)
    q.update(incident=inc, reporter_person=a, subject_person=b)


def check_person_breaches(data: dict[str, list[dict[str, str]]]) -> list[str]:
    """The planted person-level breaches are in the files as :data:`PERSON_BREACHES` says."""
    errors = []
    incidents = {(i["reporter"], i["subject"], i["date"]): i for i in data["incidents"]}
    rotations = {(a["incident"], a["date"]) for a in data["incident_actions"] if a["kind"] == "staff_rotation"}
    for name, r in PERSON_BREACHES.items():
        found = incidents.get((r["reporter"], r["subject"], r["date"]))
        if found is None or not found["reporter_person"] or not found["subject_person"]:
            errors.append(f"person breach {name}: no incident naming people {r['reporter']} -> {r['subject']}")
        elif (found["id"], r["rotation"]) not in rotations:
            errors.append(f"person breach {name}: no staff rotation on {r['rotation']}")
    return errors


def generate() -> Dataset:
    rng = random.Random(SEED)
    D = Dataset()
    build_orgs(D, rng)
    reserved = {"ORG013", "ORG014", "ORG015", "ORG016", "ORG026", "ORG050", "ORG051", "ORG054", "ORG061",
                "ORG063", "ORG066"}  # parties whose every tie is planted by hand
    planted_orgs = reserved | {"ORG001", "ORG011", "ORG064", "ORG019", "ORG021", "ORG025", "ORG043", "ORG044",
                               "ORG045", "ORG087", "ORG095"}
    build_people(D, rng, planted_orgs)
    build_planted(D)
    build_random(D, rng, reserved)
    assign_holders(D, rng)
    ring_people = [D.people_of[o][0] for o in ("ORG013", "ORG014", "ORG063", "ORG015", "ORG016")]
    for a, b, kind, since in ((0, 1, "family", "2015-06-01"), (1, 2, "board", "2021-03-01"),
                              (2, 3, "board", "2021-09-01"), (3, 4, "friend", "2019-01-01")):
        D.add("personal_ties", a=ring_people[a], b=ring_people[b], kind=kind, since=_d(since))
    build_blacklist(D)
    build_assessments(D)
    build_person_breaches(D)
    return D


def fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ";".join(v)
    return v.isoformat() if isinstance(v, date) else str(v)


def write(D: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES.values():
        with open(out / table.file, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(table.column_names)
            w.writerows([fmt(row.get(c)) for c in table.column_names] for row in D.rows[table.name])
    (out / "README.md").write_text(readme(D), encoding="utf-8")


# --- checking -------------------------------------------------------------------------------------

def disjoint_paths(edges: Iterable[tuple[str, str]], s: str, t: str) -> int:
    """Number of node-disjoint s->t paths (max flow with unit node capacities, Edmonds-Karp)."""
    cap: dict[tuple[Any, Any], int] = defaultdict(int)
    adj: dict[Any, set[Any]] = defaultdict(set)

    def arc(u: Any, v: Any, c: int) -> None:
        cap[(u, v)] += c
        adj[u].add(v)
        adj[v].add(u)

    nodes: set[str] = set()
    for x, y in set(edges):
        arc((x, "out"), (y, "in"), 1)
        nodes |= {x, y}
    for n in nodes:  # splitting each node into in -> out with capacity 1 makes paths node-disjoint
        arc((n, "in"), (n, "out"), len(nodes) if n in (s, t) else 1)
    flow, start, goal = 0, (s, "out"), (t, "in")
    while True:
        parent: dict[Any, Any] = {start: None}
        queue = deque([start])
        while queue and goal not in parent:
            u = queue.popleft()
            for v in adj[u]:
                if v not in parent and cap[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if goal not in parent:
            return flow
        node = goal
        while parent[node] is not None:
            cap[(parent[node], node)] -= 1
            cap[(node, parent[node])] += 1
            node = parent[node]
        flow += 1


def distances(adj: dict[str, set[str]], sources: Iterable[str]) -> dict[str, int]:
    """Hop counts from the nearest source (breadth-first search)."""
    dist = {s: 0 for s in sources}
    queue = deque(dist)
    while queue:
        u = queue.popleft()
        for v in adj.get(u, ()):
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def read(folder: Path) -> tuple[dict[str, list[dict[str, str]]], list[str]]:
    data, errors = {}, []
    for t in TABLES.values():
        with open(folder / t.file, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != t.column_names:
                errors.append(f"{t.file}: columns {reader.fieldnames} != {t.column_names}")
            data[t.name] = list(reader)
    return data, errors


def check_model(data: dict[str, list[dict[str, str]]]) -> list[str]:
    """Keys unique, required values present, types, enums, ranges and references valid."""
    errors: list[str] = []
    ids = {t: {r["id"] for r in rows} for t, rows in data.items() if "id" in TABLES[t].column_names}
    for t in TABLES.values():
        keys: set[tuple[str, ...]] = set()
        for line, row in enumerate(data[t.name], start=2):
            key = tuple(row[k] for k in t.key)
            if key in keys:
                errors.append(f"{t.file}:{line}: duplicate key {key}")
            keys.add(key)
            for c in t.columns:
                v, where = row[c.name], f"{t.file}:{line}:{c.name}={row[c.name]!r}"
                if v == "":
                    if c.required:
                        errors.append(f"{where}: required")
                    continue
                try:
                    if c.type == "date":
                        date.fromisoformat(v)
                    elif c.type in ("int", "float"):
                        number = int(v) if c.type == "int" else float(v)
                        if (c.min is not None and number < c.min) or (c.max is not None and number > c.max):
                            errors.append(f"{where}: out of range")
                except ValueError:
                    errors.append(f"{where}: expected {c.expected}")
                if (c.type == "enum" and v not in c.choices) or (c.type == "bool" and v not in ("true", "false")):
                    errors.append(f"{where}: expected {c.expected}")
                if c.ref and not c.outside and v not in ids[c.ref]:
                    errors.append(f"{where}: unknown id in {c.ref}")
    return errors


def check_domain(data: dict[str, list[dict[str, str]]]) -> list[str]:
    """Sizes, date windows, holders at member organisations during their tenure, job changes."""
    errors: list[str] = []

    def day(s: str) -> date:
        return date.fromisoformat(s) if s else REF

    people = {p["id"]: p for p in data["people"]}
    ps = {p["id"]: p for p in data["partnerships"]}
    members: dict[str, set[str]] = defaultdict(set)
    for m in data["partnership_members"]:
        members[m["partnership"]].add(m["organization"])
    for pid, p in ps.items():
        n = len(members[pid])
        if n < 2 or (p["kind"] in ("platform", "consortium") and not 4 <= n <= 9):
            errors.append(f"partnership {pid} ({p['kind']}) has {n} members")
        if not "2015-01-01" <= p["start"] <= REF.isoformat() or (p["end"] and p["end"] < p["start"]):
            errors.append(f"partnership {pid} runs {p['start']}..{p['end']}")
    for h in data["relationship_holders"]:
        who, part = people[h["person"]], ps[h["partnership"]]
        if who["organization"] not in members[h["partnership"]]:
            errors.append(f"holder {h['person']} of {h['partnership']} is not at a member organisation")
        if not day(who["from"]) <= day(h["since"]) <= min(day(who["until"]), day(part["end"])):
            errors.append(f"holder {h['person']} of {h['partnership']}: since {h['since']} outside tenure")
    for p in data["people"]:
        old = people.get(p["previous"])
        if old and (old["until"] != p["from"] or old["name"] != p["name"]):
            errors.append(f"person {p['id']}: inconsistent job change")
    incident_day = {i["id"]: i["date"] for i in data["incidents"]}
    errors += [f"action {a['id']} before its incident" for a in data["incident_actions"]
               if a["date"] < incident_day[a["incident"]]]
    errors += [f"referral {r['id']} dated {r['date']}" for r in data["referrals"]
               if not "2016-01-01" <= r["date"] <= REF.isoformat()]
    errors += [f"{t} row dated after {REF}" for t in ("communications", "incidents", "incident_actions")
               for r in data[t] if r["date"] > REF.isoformat()]
    if sum(not any(a["incident"] == i["id"] for a in data["incident_actions"]) for i in data["incidents"]) < 3:
        errors.append("fewer than 3 incidents without any action")
    listed = {b["listed"] for b in data["blacklist"]}
    if len(listed) < 3 or not any(b["until"] and b["until"] < REF.isoformat() for b in data["blacklist"]):
        errors.append("need >= 3 listed parties and one expired listing")
    return errors


def check_planted(data: dict[str, list[dict[str, str]]]) -> list[str]:
    """Each situation in PLANTED has the shape README.md promises."""
    errors: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            errors.append(f"planted {what}")

    people = {p["id"]: p for p in data["people"]}
    members: dict[str, set[str]] = defaultdict(set)
    for m in data["partnership_members"]:
        members[m["partnership"]].add(m["organization"])
    listed = {b["listed"] for b in data["blacklist"]}
    ties: dict[str, set[str]] = defaultdict(set)  # any direct tie between two organisations
    pairs = [(a, b) for ms in members.values() for a in ms for b in ms if a != b]
    pairs += [(r["source"], r["target"]) for r in data["referrals"]]
    pairs += [(c["a"], c["b"]) for c in data["communications"]]
    pairs += [(i["reporter"], i["subject"]) for i in data["incidents"]]
    pairs += [(people[t["a"]]["organization"], people[t["b"]]["organization"]) for t in data["personal_ties"]]
    for a, b in pairs:
        ties[a].add(b)
        ties[b].add(a)
    positive = [(r["source"], r["target"]) for r in data["referrals"] if float(r["strength"]) > 0]
    vouches: dict[str, set[str]] = defaultdict(set)
    for a, b in positive:
        vouches[a].add(b)

    e = PLANTED["exposed_partner"]
    expect(not ties[e["org"]] & listed and e["via"] not in listed and e["listed"] in listed, "exposed: direct tie")
    expect(any({e["org"], e["via"]} <= m for m in members.values())
           and any({e["via"], e["listed"]} <= m for m in members.values()), "exposed: two partnership hops")

    s = PLANTED["single_holder"]
    holders = [(h["person"], h["partnership"], people[h["person"]]["organization"])
               for h in data["relationship_holders"]]
    mine = [p for p, ps, org in holders if ps == s["partnership"] and org == s["org"]]
    others = [p for p, ps, org in holders if org == s["org"] and s["partner"] in members[ps] and ps != s["partnership"]]
    expect(mine == [s["person"]] and not others and members[s["partnership"]] == {s["org"], s["partner"]},
           "single_holder")

    tv, nv = PLANTED["three_vouchers"], PLANTED["no_vouchers"]
    expect(disjoint_paths(positive, tv["assessor"], tv["target"]) >= 3, "three_vouchers: < 3 disjoint chains")
    expect(all((c[i], c[i + 1]) in positive for c in tv["chains"] for i in range(len(c) - 1)), "three_vouchers chains")
    expect(nv["target"] not in distances(vouches, [nv["assessor"]]), "no_vouchers: reachable")
    expect(ties[nv["target"]] == {nv["only_partner"], nv["warned_by"]}, "no_vouchers: ties")

    rt = PLANTED["repaired_trust"]
    inc = next(i for i in data["incidents"] if i["id"] == rt["incident"])
    acts = {a["kind"]: a["date"] for a in data["incident_actions"] if a["incident"] == rt["incident"]}
    expect((inc["reporter"], inc["subject"]) == (rt["a"], rt["b"]) and inc["severity"] in ("3", "4")
           and {"post_mortem", "reset"} <= set(acts), "repaired_trust: incident")
    expect(any(r["source"] == rt["a"] and r["target"] == rt["b"] and float(r["strength"]) > 0
               and r["date"] > acts.get("reset", "9") for r in data["referrals"]), "repaired_trust: recovery")

    rg = PLANTED["ring"]
    inner = set(rg["shells"]) | {rg["listed"], rg["front"]}
    expect(rg["listed"] in listed and all(vouches[x] <= inner for x in rg["shells"]), "ring: vouches outside")
    expect({a for a, b in positive if b == rg["front"]} == set(rg["shells"]) | {rg["attack_edge_from"]},
           "ring: front's vouchers")

    hh = PLANTED["honest_hub"]
    with_listed = [p for p, m in members.items() if hh["org"] in m and m & listed]
    expect(with_listed == [hh["partnership"]] and hh["listed_partner"] in members[hh["partnership"]],
           "honest_hub: exactly one partnership with a listed party")
    expect(set(hh["endorsers"]) <= {a for a, b in positive if b == hh["org"]}
           and sum(hh["org"] in m for m in members.values()) >= 5, "honest_hub: reputation")

    ac = PLANTED["assess_candidate"]
    cand, assessor = ac["candidate"], ac["assessor"]
    expect(cand not in listed and not any(i["subject"] == cand for i in data["incidents"])
           and all(float(r["strength"]) > 0 for r in data["referrals"] if r["target"] == cand), "assess: red flags")
    expect(ties[cand] == {ac["known_partner"], ac["second_voucher"]} and disjoint_paths(positive, assessor, cand) == 2,
           "assess: exactly two independent vouchers")
    expect(min(distances(ties, [cand]).get(x, 99) for x in listed) >= 3, "assess: within 2 hops of a listed party")
    knows: dict[str, set[str]] = defaultdict(set)  # personal ties plus co-holding the same partnership
    held: dict[str, list[str]] = defaultdict(list)
    for p, ps, _ in holders:
        held[ps].append(p)
    for a, b in [(t["a"], t["b"]) for t in data["personal_ties"]] + [
            (a, b) for hs in held.values() for a in hs for b in hs if a != b]:
        knows[a].add(b)
        knows[b].add(a)
    near = distances(knows, [p for p in people if people[p]["organization"] == assessor])
    expect(min(near.get(p, 99) for p in people if people[p]["organization"] == cand) >= 3,
           "assess: short person-to-person path")
    return errors


def check(folder: Path) -> list[str]:
    """Validate the CSV files in ``folder`` against the model, the domain rules and PLANTED."""
    data, errors = read(folder)
    errors = errors or check_model(data)
    return errors or check_domain(data) + check_planted(data) + check_person_breaches(data)


def readme(D: Dataset) -> str:
    def n(org: str) -> str:
        return f"`{org}` {D.orgs[org]['name']}"

    P = PLANTED
    counts = "\n".join(f"| `{t}.csv` | {len(rows)} |" for t, rows in D.rows.items())
    tv, rt, rg, hh, ac = P["three_vouchers"], P["repaired_trust"], P["ring"], P["honest_hub"], P["assess_candidate"]
    e, s, nv = P["exposed_partner"], P["single_holder"], P["no_vouchers"]
    multi = sum(ps["kind"] in ("platform", "consortium") for ps in D.ps.values())
    hub_ps = sum(hh["org"] in m for m in D.members.values())
    moves = ", ".join(f"`{p}`" for p, r in D.people.items() if r["previous"])
    acted = {a["incident"] for a in D.rows["incident_actions"]}
    idle = ", ".join(f"`{i['id']}`" for i in D.rows["incidents"] if i["id"] not in acted)
    listed = "\n".join(f"- {n(r['listed'])}, listed by {n(r['lister'])} on {r['date']}"
                       + (f" until {r['until']} (expired)" if r["until"] else "") + f": {r['reason']}"
                       for r in D.rows["blacklist"])
    return f"""# trustgraph sample dataset

A fictional partnership network: every organisation, person and event is invented. Generated by
`data/generate_sample.py` (seed {SEED}; standard library only) — edit the script, not these files, and
rerun `.venv/bin/python data/generate_sample.py` (add `--check` to only validate). The dataset's
"today" is {REF}; nothing is dated later.

Organisations come from eight regions with the trust culture DESIGN.md associates with them
(verify-later in Western Europe and North America, reputation-first in East Asia, vouched in South
Asia, the Middle East and West Africa, relationship-first in Latin America and East Africa), with a
few exceptions mixed in. Six well-established hubs are `pretrusted`. Eight people changed jobs (new
`people` rows {moves}, each pointing at its old row through `previous`; the old row's `until` is the
move date). Partnerships run 2015-2025; {multi} of them are platforms or consortia with 4-9 members;
most member sides have one relationship holder, some two or three, some none. About one
referral in ten is a warning (negative strength). Incidents {idle} have no follow-up action.

| file | rows |
|---|---|
{counts}

## Listed parties

{listed}

## Planted situations (fixed ids; `PLANTED` in the script; checked by `--check`)

The assessor ("our organisation") is {n(P["assessor"])}.

1. **exposed_partner** — {n(e["org"])} ran a study with {n(e["via"])} and vouches for it; that
   partner has an active supply agreement with the listed {n(e["listed"])}. The exposed
   organisation has no direct tie (partnership, referral, communication, incident, personal tie) to
   any listed party: its exposure is two hops.
2. **single_holder** — partnership `{s["partnership"]}` ({D.ps[s["partnership"]]["name"]}) between
   {n(s["org"])} and {n(s["partner"])} is held on the first side by one person only, `{s["person"]}`
   ({D.people[s["person"]]["name"]}); no colleague holds anything with that partner.
3. **three_vouchers** — {n(tv["target"])} is reached from the assessor by three node-disjoint
   positive referral chains: {"; ".join(" -> ".join(c) for c in tv["chains"])}.
   **no_vouchers** — {n(nv["target"])} has no positive referral path from the assessor: its only ties
   are a supply agreement with the equally new {n(nv["only_partner"])} and a warning (-0.6) from
   {n(nv["warned_by"])}.
4. **repaired_trust** — {n(rt["a"])} (funder) and {n(rt["b"])}: a completed grant (2016-2018) and a
   strong referral, then incident `{rt["incident"]}` (quality failure, severity 3, 2021-03-10, B at
   fault, reported by A), post-mortem `{rt["actions"][0]}` and written reset `{rt["actions"][1]}`,
   a new grant from 2022 and positive referrals in 2023 and 2024: trust falls, then recovers
   (`timeline {rt["a"]} {rt["b"]}`). Partnerships: {", ".join(rt["partnerships"])}.
5. **ring** — shells {", ".join(n(x) for x in rg["shells"])} vouch only for each other, for the
   listed {n(rg["listed"])} and for its front {n(rg["front"])}, which vouches for the listed charity.
   The only vouch from outside is a weak one (0.4) from {n(rg["attack_edge_from"])} to the front; the
   charity was reported by {n(rg["defrauded_funder"])}.
6. **honest_hub** — {n(hh["org"])}: {hub_ps} partnerships and strong referrals from
   {", ".join(f"`{x}`" for x in hh["endorsers"])}; one partnership (`{hh["partnership"]}`) with the
   listed {n(hh["listed_partner"])}, which it reported, terminated and warned about before the
   listing. Contagion should not condemn it.
7. **assess_candidate** — `assess {ac["candidate"]} --for {ac["assessor"]}` for {n(ac["candidate"])}
   (culture relationship-first). Its only ties are {n(ac["known_partner"])} (a past grantee of the
   assessor; referral path assessor -> {ac["known_partner"]} (0.4) -> candidate (0.7)) and
   {n(ac["second_voucher"])} (assessor -> {ac["second_voucher"]} (0.5) -> candidate (0.6)).
   Intended outcomes by profile:
   - verify-later: **proceed with monitoring** — no incidents, warnings or listings; no listed party
     within two hops.
   - reputation-first: **proceed** — decent reputation (a completed supply agreement, two positive
     referrals) and a referral path from a known partner of the assessor.
   - vouched: **needs-vouching** — only two independent vouchers, both marginal (below the
     one-complete-or-three-marginal rule).
   - relationship-first: **needs-vouching / decline** — the candidate's people have no personal ties;
     the shortest person-to-person path from the assessor (personal ties plus co-held partnerships)
     is three hops or more.
""" + _breaches_readme(D, n) + _assessments_readme()


def _assessments_readme() -> str:
    return """
## Capability evidence (`build_assessments` in the script)

`assessments.csv` (docs/lifecycle.md, "Capability: assessments"; `factors CANDIDATE --for ORG`):

- **audited** — `ORG011` has two audits by an outside firm ("Baker Tilly Brussels", 2024, valid to
  2026) and a site visit by `ORG001` (2025): capability about 0.76, the only capable social
  enterprise in Western Europe (situational need 1 for anyone considering it).
- **self-assessed only** — `ORG064` rated itself 90 and 85: capability about 0.65, nearer the
  neutral 0.5 than the same ratings by an auditor.
- **expired** — `ORG050`'s only audit ("KPMG Mumbai", 2019) expired in 2021: capability unknown.
"""


def _breaches_readme(D: Dataset, n: Callable[[str], str]) -> str:
    r, q = PERSON_BREACHES["rotated"], PERSON_BREACHES["re_paired"]
    return f"""
## Person-level breaches (`PERSON_BREACHES` in the script)

Incidents that name the people involved (`reporter_person`, `subject_person`; docs/lifecycle.md):

- **rotated** — incident `{r["incident"]}` ({r["date"]}): {n(r["reporter"])}'s `{r["reporter_person"]}`
  ({D.people[r["reporter_person"]]["name"]}) and {n(r["subject"])}'s `{r["subject_person"]}`
  ({D.people[r["subject_person"]]["name"]}) on `{r["partnership"]}`; a staff rotation on {r["rotation"]}
  repairs the organisations' trust, the partnership runs on and the two are not paired again
  (`timeline {r["reporter"]} {r["subject"]}`).
- **re_paired** — incident `{q["incident"]}` ({q["date"]}) between `{q["reporter_person"]}`
  ({n(q["reporter"])}) and `{q["subject_person"]}` ({n(q["subject"])}) on `{q["partnership"]}`;
  rotated on {q["rotation"]}, yet `{q["subject_person"]}` was recorded holding `{q["partnership"]}`
  again from {q["again"]}: `health {q["reporter"]}` flags the re-pairing.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the files already written")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: data/sample)")
    args = parser.parse_args()
    if not args.check:
        write(generate(), args.out)
    errors = check(args.out)
    for err in errors[:50]:
        print(err, file=sys.stderr)
    if not errors:
        print(f"{args.out}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
