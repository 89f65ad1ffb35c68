"""Fixed vocabularies of the synthetic world: countries, hubs, industries, brands, name parts, schools.

Everything here is a modelling choice, not data; ``benchmarks/synth/README.md`` explains the model.
"""
from __future__ import annotations

# Share of profiles per country and how many of its largest cities are used.
COUNTRIES: dict[str, tuple[float, int]] = {
    "US": (0.34, 80), "IN": (0.13, 50), "GB": (0.10, 40), "DE": (0.10, 40), "FR": (0.06, 30), "CA": (0.05, 25),
    "NL": (0.04, 15), "ES": (0.03, 20), "PL": (0.025, 15), "IE": (0.02, 6), "SE": (0.02, 10), "AU": (0.03, 12),
    "SG": (0.015, 1), "CH": (0.015, 8),
}

# Hubs ("City, CC") get their population weight multiplied by this (squared for tech and business occupations).
HUBS: dict[str, float] = {
    "Berlin, DE": 3.0, "Munich, DE": 2.0, "Hamburg, DE": 1.3, "Frankfurt am Main, DE": 1.5, "London, GB": 3.0,
    "Manchester, GB": 1.5, "Edinburgh, GB": 1.3, "New York City, US": 2.2, "San Francisco, US": 6.0,
    "Seattle, US": 3.0, "Boston, US": 2.5, "Austin, US": 2.5, "San Jose, US": 2.5, "Chicago, US": 1.3,
    "Bengaluru, IN": 3.0, "Hyderabad, IN": 2.0, "Pune, IN": 1.8, "Paris, FR": 2.5, "Amsterdam, NL": 3.0,
    "Toronto, CA": 2.5, "Vancouver, CA": 1.8, "Dublin, IE": 3.0, "Madrid, ES": 1.5, "Barcelona, ES": 1.8,
    "Stockholm, SE": 2.0, "Warsaw, PL": 1.8, "Krakow, PL": 1.5, "Sydney, AU": 1.8, "Melbourne, AU": 1.5,
    "Zurich, CH": 2.0, "Singapore, SG": 1.0,
}
TECH_GROUPS = frozenset({"15", "17", "13", "27"})
"""SOC major groups concentrated in hubs (hub multiplier squared)."""

# Share of profiles per SOC major group (normalised at use); every group is present.
MAJOR_GROUP_WEIGHT: dict[str, float] = {
    "11": 0.08, "13": 0.10, "15": 0.17, "17": 0.06, "19": 0.03, "21": 0.02, "23": 0.015, "25": 0.06, "27": 0.04,
    "29": 0.08, "31": 0.03, "33": 0.01, "35": 0.03, "37": 0.01, "39": 0.015, "41": 0.07, "43": 0.08, "45": 0.005,
    "47": 0.02, "49": 0.02, "51": 0.03, "53": 0.025, "55": 0.002,
}
OCCUPATION_BOOST: dict[str, float] = {
    "15-1252.00": 10, "15-1243.00": 9, "15-2051.00": 6, "15-2051.01": 3, "15-1211.00": 2, "15-1254.00": 2.5,
    "15-1244.00": 1.5, "15-1253.00": 1.5, "15-1299.08": 2, "29-1141.00": 6, "13-2011.00": 3, "11-2021.00": 2,
    "41-4012.00": 2, "43-4051.00": 2, "11-3021.00": 2, "13-1111.00": 2, "13-1071.00": 1.5, "25-2021.00": 2,
    "13-2051.00": 2, "11-9111.00": 1.5,
}
# Common market titles, weighted up inside their occupation's title pool (ignored if not an O*NET alias there).
TITLE_BOOST: dict[str, dict[str, float]] = {
    "15-1243.00": {"Data Engineer": 45, "Big Data Engineer": 6, "Data Architect": 6, "Database Architect": 3},
    "15-1252.00": {"Software Engineer": 20, "Software Developer": 12, "DevOps Engineer": 4, "Application Developer": 3},
    "15-2051.00": {"Data Scientist": 20},
    "15-2051.01": {"Data Analyst": 10, "Business Intelligence Analyst": 8},
    "15-1254.00": {"Web Developer": 10, "Front End Developer": 6},
    "15-1299.08": {"Machine Learning Engineer": 8},
    "15-1244.00": {"Systems Administrator": 8, "Network Administrator": 5},
    "15-1211.00": {"Systems Analyst": 6, "Business Systems Analyst": 4},
    "29-1141.00": {"Registered Nurse": 20, "Staff Nurse": 5, "Charge Nurse": 3},
    "13-2011.00": {"Accountant": 12, "Auditor": 5},
}

# industry -> affinity per SOC major group (a floor of 0.05 applies to every other group)
INDUSTRIES: dict[str, dict[str, float]] = {
    "Software & Internet": {"15": 6, "11": 1, "13": 1, "27": 1, "41": 1, "43": 0.5},
    "Financial Services": {"13": 4, "43": 2, "41": 1, "15": 2, "11": 1},
    "Healthcare": {"29": 5, "31": 3, "43": 1, "11": 0.5, "21": 1},
    "Education": {"25": 6, "43": 1, "21": 0.5, "11": 0.5},
    "Manufacturing": {"51": 4, "17": 2, "49": 1.5, "53": 1, "11": 0.5, "43": 0.5, "13": 0.5},
    "Retail": {"41": 5, "43": 1.5, "53": 1, "35": 0.5, "11": 0.3},
    "Hospitality & Food": {"35": 6, "37": 1, "41": 0.5, "11": 0.3},
    "Construction & Real Estate": {"47": 5, "17": 1, "11": 0.5, "41": 0.5, "49": 1},
    "Logistics & Transportation": {"53": 5, "43": 1.5, "49": 1, "11": 0.3},
    "Consulting & Professional Services": {"13": 3, "15": 2.5, "11": 1.5, "23": 1, "19": 0.5, "27": 0.5},
    "Media & Entertainment": {"27": 5, "41": 1, "15": 1, "11": 0.5},
    "Government & Public Sector": {"33": 3, "21": 2, "23": 1, "43": 2, "13": 1, "19": 1, "45": 0.5},
    "Energy & Utilities": {"17": 2.5, "47": 1, "49": 2, "51": 1, "19": 1, "11": 0.5},
    "Biotech & Pharma": {"19": 4, "29": 1, "17": 0.5, "15": 0.5, "11": 0.5},
    "Agriculture": {"45": 5, "53": 1, "19": 0.5, "11": 0.3},
    "Legal Services": {"23": 5, "43": 1.5},
    "Personal Services": {"39": 5, "31": 1, "37": 1, "43": 0.5},
    "Security & Defense": {"33": 4, "37": 1, "55": 3, "17": 0.5},
    "Facilities Services": {"37": 5, "49": 1},
}
INDUSTRY_SHARE: dict[str, float] = {
    "Software & Internet": 0.16, "Financial Services": 0.10, "Healthcare": 0.10, "Education": 0.06,
    "Manufacturing": 0.09, "Retail": 0.08, "Hospitality & Food": 0.05, "Construction & Real Estate": 0.05,
    "Logistics & Transportation": 0.05, "Consulting & Professional Services": 0.09, "Media & Entertainment": 0.04,
    "Government & Public Sector": 0.04, "Energy & Utilities": 0.03, "Biotech & Pharma": 0.03, "Agriculture": 0.015,
    "Legal Services": 0.02, "Personal Services": 0.02, "Security & Defense": 0.015, "Facilities Services": 0.01,
}
SIZE_CLASSES: tuple[tuple[str, int, int, float], ...] = (   # label, min, max headcount, share of companies
    ("1-10", 2, 10, 0.22), ("11-50", 11, 50, 0.30), ("51-200", 51, 200, 0.22), ("201-500", 201, 500, 0.11),
    ("501-1000", 501, 1000, 0.06), ("1001-5000", 1001, 5000, 0.055), ("5001-10000", 5001, 10000, 0.02),
    ("10001+", 10001, 200000, 0.015),
)
TRAJECTORY_SHARE = {"growing": 0.20, "stable": 0.68, "layoffs": 0.12}

# Planted brands (simple names tests and demos can use). hq city, industry, size class, trajectory,
# growth per year, layoff months as months before as_of.
BRANDS: tuple[tuple, ...] = (
    ("Acme", "Berlin, DE", "Software & Internet", "10001+", "layoffs", -0.25, (8,)),
    ("Globex", "London, GB", "Software & Internet", "5001-10000", "growing", 0.6, ()),
    ("Initech", "Austin, US", "Software & Internet", "1001-5000", "stable", 0.02, ()),
    ("Hooli", "San Francisco, US", "Software & Internet", "10001+", "growing", 0.45, ()),
    ("Umbrella", "Paris, FR", "Biotech & Pharma", "10001+", "layoffs", -0.2, (14, 5)),
    ("Vandelay Industries", "New York City, US", "Logistics & Transportation", "501-1000", "stable", 0.0, ()),
    ("Stark Industries", "Bengaluru, IN", "Manufacturing", "10001+", "growing", 0.3, ()),
    ("Massive Dynamic", "Boston, US", "Healthcare", "5001-10000", "layoffs", -0.3, (11,)),
)
BRAND_SHARE = 0.10
"""Share of all hiring weight that goes to the planted brands together (any corpus size)."""
BRAND_COUNTRIES = ("US", "GB", "DE", "IN", "FR", "NL", "CA")

NAME_HEADS = (
    "Blue", "North", "Silver", "Bright", "Clear", "Green", "Iron", "Nova", "Summit", "Pioneer", "Vertex", "Apex",
    "Harbor", "Oak", "Maple", "Red", "Stone", "River", "Sun", "Star", "True", "Prime", "Quantum", "Cedar",
    "Falcon", "Atlas", "Orion", "Lumen", "Vista", "Cobalt", "Granite", "Beacon", "Crest", "Echo", "Evergreen",
    "Golden", "Horizon", "Juniper", "Keystone", "Lighthouse", "Meridian", "Northstar", "Pinnacle", "Redwood",
    "Sapphire", "Sterling", "Tidal", "Willow", "Zenith", "Aurora", "Bluebird", "Copper", "Delta", "Ember",
)
NAME_TAILS = (
    "wave", "field", "bridge", "point", "stone", "gate", "line", "works", "path", "forge", "mark", "light",
    "view", "crest", "way", "hill", "port", "leaf", "spark", "mind", "", "", "", "",
)
INDUSTRY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "Software & Internet": ("Software", "Labs", "Systems", "Technologies", "Digital", "Cloud", "AI"),
    "Financial Services": ("Capital", "Financial", "Bank", "Partners", "Insurance", "Asset Management"),
    "Healthcare": ("Health", "Medical", "Care", "Clinic", "Hospital Group"),
    "Education": ("Academy", "Learning", "Schools", "Education"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Machines", "Materials"),
    "Retail": ("Retail", "Stores", "Market", "Outfitters", "Goods"),
    "Hospitality & Food": ("Foods", "Hospitality", "Kitchen", "Hotels", "Restaurants"),
    "Construction & Real Estate": ("Builders", "Construction", "Properties", "Homes", "Realty"),
    "Logistics & Transportation": ("Logistics", "Freight", "Transport", "Shipping", "Express"),
    "Consulting & Professional Services": ("Consulting", "Advisory", "Partners", "Group", "Associates"),
    "Media & Entertainment": ("Media", "Studios", "Entertainment", "Pictures", "Publishing"),
    "Government & Public Sector": ("Agency", "Authority", "Council", "Services"),
    "Energy & Utilities": ("Energy", "Power", "Utilities", "Renewables", "Grid"),
    "Biotech & Pharma": ("Bio", "Therapeutics", "Pharma", "Biosciences", "Genomics"),
    "Agriculture": ("Farms", "Agri", "Growers", "Harvest"),
    "Legal Services": ("Law", "Legal", "LLP", "Attorneys"),
    "Personal Services": ("Wellness", "Care Services", "Fitness", "Salons"),
    "Security & Defense": ("Security", "Defense", "Protection", "Aerospace"),
    "Facilities Services": ("Facilities", "Cleaning", "Maintenance", "Property Services"),
}
COUNTRY_LEGAL_FORM = {"DE": "GmbH", "GB": "Ltd", "FR": "SA", "NL": "BV", "IN": "Pvt Ltd", "US": "Inc", "CA": "Inc",
                      "ES": "SL", "PL": "Sp. z o.o.", "IE": "Ltd", "SE": "AB", "AU": "Pty Ltd", "SG": "Pte Ltd",
                      "CH": "AG"}

# Seniority rendering: (level name) -> title patterns; "{t}" is the base title.
TITLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "intern": ("{t} Intern", "Intern, {t}", "Trainee {t}", "{t} Trainee"),
    "junior": ("Junior {t}", "Jr. {t}", "Associate {t}", "Junior {t}", "Entry Level {t}", "{t} I"),
    "mid": ("{t}", "{t}", "{t}", "{t}", "{t} II"),
    "senior": ("Senior {t}", "Sr. {t}", "Senior {t}", "Sr {t}", "{t} III", "Senior {t}"),
    "lead": ("Lead {t}", "Principal {t}", "Staff {t}", "{t} Lead", "Lead {t}"),
    "manager": ("{t} Manager", "Manager, {t}", "{t} Team Manager", "{t} Manager"),
    "director": ("Director, {t}", "Head of {t}", "Director of {t}", "Head of {t}"),
    "executive": ("VP, {t}", "Vice President, {t}", "VP {t}", "Chief {t}"),
}
TITLE_NOISE = ("", "", "", "", "", "", "", "", "lower", "upper", " - Remote", " (m/f/d)", " | Freelance", "  ")

FIELDS_OF_STUDY: dict[str, tuple[str, ...]] = {
    "11": ("Business Administration", "Management", "Economics", "Finance"),
    "13": ("Finance", "Accounting", "Economics", "Business Administration", "Statistics"),
    "15": ("Computer Science", "Software Engineering", "Information Systems", "Mathematics", "Data Science",
           "Electrical Engineering", "Physics"),
    "17": ("Mechanical Engineering", "Civil Engineering", "Electrical Engineering", "Architecture",
           "Industrial Engineering"),
    "19": ("Biology", "Chemistry", "Physics", "Environmental Science", "Psychology", "Economics"),
    "21": ("Social Work", "Psychology", "Sociology", "Counseling"),
    "23": ("Law", "Political Science", "Criminal Justice"),
    "25": ("Education", "English", "History", "Mathematics", "Early Childhood Education"),
    "27": ("Graphic Design", "Journalism", "Communications", "Fine Arts", "Film Studies"),
    "29": ("Nursing", "Medicine", "Pharmacy", "Biology", "Health Sciences"),
    "31": ("Health Sciences", "Nursing", "Medical Assisting"),
    "33": ("Criminal Justice", "Fire Science", "Public Safety"),
    "35": ("Culinary Arts", "Hospitality Management"),
    "37": ("Facilities Management", "Horticulture"),
    "39": ("Cosmetology", "Kinesiology", "Early Childhood Education"),
    "41": ("Marketing", "Business Administration", "Communications"),
    "43": ("Business Administration", "Office Administration", "Accounting"),
    "45": ("Agriculture", "Forestry", "Animal Science"),
    "47": ("Construction Management", "Civil Engineering Technology", "Carpentry"),
    "49": ("Automotive Technology", "Electronics Technology", "HVAC Technology"),
    "51": ("Manufacturing Technology", "Welding Technology", "Industrial Technology"),
    "53": ("Logistics", "Aviation", "Supply Chain Management"),
    "55": ("Military Science", "Strategic Studies"),
}
UNIVERSITY_PATTERNS: dict[str, tuple[str, ...]] = {
    "US": ("University of {c}", "{c} State University", "{c} Institute of Technology"),
    "GB": ("University of {c}", "{c} Metropolitan University", "Imperial College {c}"),
    "DE": ("Technical University of {c}", "University of {c}", "{c} University of Applied Sciences"),
    "FR": ("Université de {c}", "École Polytechnique de {c}", "{c} Business School"),
    "IN": ("Indian Institute of Technology {c}", "University of {c}", "National Institute of Technology {c}"),
    "NL": ("University of {c}", "{c} University of Technology", "{c} University of Applied Sciences"),
    "CA": ("University of {c}", "{c} Polytechnic University"),
    "ES": ("Universidad de {c}", "Universidad Politécnica de {c}"),
    "PL": ("University of {c}", "{c} University of Technology"),
    "IE": ("University College {c}", "{c} Institute of Technology"),
    "SE": ("{c} University", "KTH {c}"),
    "AU": ("University of {c}", "{c} University of Technology"),
    "SG": ("National University of {c}", "{c} Management University"),
    "CH": ("University of {c}", "ETH {c}"),
}
COLLEGE_PATTERNS = ("{c} Community College", "{c} Technical College", "{c} College")

# Core tools of a few well-known occupations (x weight inside the occupation's skill pool): O*NET lists
# hundreds of tools for every IT occupation, which alone would give data engineers QlikView as often as Spark.
_DATA = {"Apache Spark": 12, "Apache Kafka": 8, "Apache Airflow": 8, "Apache Hadoop": 6, "Python": 12,
         "Structured query language SQL": 12, "Apache Hive": 4, "Scala": 4, "Snowflake": 5, "Databricks": 4,
         "dbt": 4, "Amazon Redshift": 4, "Amazon Web Services AWS software": 5, "Docker": 3, "Git": 3,
         "PostgreSQL": 3, "Kubernetes": 2}
_SOFTWARE = {"Python": 10, "Oracle Java": 10, "JavaScript": 10, "Git": 8, "Docker": 8, "Kubernetes": 6,
             "C++": 5, "Go": 5, "React": 6, "Node.js": 5, "Amazon Web Services AWS software": 6, "Terraform": 4,
             "Linux": 5, "PostgreSQL": 4, "C#": 4, "Structured query language SQL": 5, "Apache Kafka": 3,
             "TypeScript": 5, "Ruby": 2, "MongoDB": 3, "Atlassian JIRA": 3, "Elasticsearch": 2}
SKILL_BOOST: dict[str, dict[str, float]] = {
    "15-1243.00": _DATA, "15-1243.01": _DATA,
    "15-2051.00": {"Python": 12, "Structured query language SQL": 10, "R": 6, "scikit-learn": 6, "PyTorch": 5,
                   "TensorFlow": 5, "Apache Spark": 5, "Tableau": 3},
    "15-2051.01": {"Structured query language SQL": 12, "Tableau": 10, "Python": 6, "Microsoft Excel": 8,
                   "Microsoft Power BI": 6, "R": 3, "Snowflake": 2, "dbt": 2},
    "15-1252.00": _SOFTWARE, "15-1299.08": _SOFTWARE,
    "15-1254.00": {"JavaScript": 12, "React": 10, "Hypertext markup language HTML": 10,
                   "Cascading style sheets CSS": 10, "Node.js": 6, "TypeScript": 6, "PHP": 4, "Git": 6},
    "15-1244.00": {"Linux": 10, "Microsoft PowerShell": 6, "Bash": 6, "Ansible software": 5, "Cisco IOS": 5,
                   "Microsoft Windows Server": 6, "Kubernetes": 3, "Terraform": 3},
    "15-1253.00": {"Selenium": 10, "Python": 6, "Oracle Java": 5, "Atlassian JIRA": 8, "Git": 4},
    "29-1141.00": {"Epic Systems": 10, "MEDITECH software": 6, "Cerner Millennium": 5, "Microsoft Excel": 3},
    "13-2011.00": {"Microsoft Excel": 12, "Intuit QuickBooks": 8, "SAP business and customer relations management software": 6,
                   "Oracle NetSuite": 3, "Tableau": 2, "Structured query language SQL": 2},
}
