"""Common job-market titles whose O*NET listing misleads, with the occupations a recruiter means by them.

O*NET's alternate-title lists are broad and sometimes odd: "Account Executive" is listed only under Advertising
and Promotions Managers, "Full Stack Engineer" only under Engineers, All Other (and "Full Stack Developer" under
Photographic Process Workers), "Revenue Officer" (what "Chief Revenue Officer" becomes once "chief" is read as a
level) under Tax Examiners. This table, written from general recruiting knowledge of the titles US postings use
most (not from the judged postings' answers), names the occupations each title means, best first. The resolver
(``query.intake.occupation``) reads a title here like an O*NET occupation's own name: it outweighs the
alternate-title lists, and among the occupations named the posting's description still decides. Only titles with
a dominant meaning are here: "Project Manager", "Technician" or "Sales Associate" are settled by the description.
Keys are normalised titles (``records.taxonomy.normalize_title``); a key of two words or more also matches at the
end of a longer title ("Enterprise Account Executive", "Senior Java Full Stack Engineer").
"""
from __future__ import annotations

_SOFTWARE = ("15-1252.00", "15-1254.00")
_WEB = ("15-1254.00", "15-1252.00")
_SALES_REP = ("41-3091.00", "41-4012.00", "41-4011.00", "41-3011.00")   # advertising sales: "media account executive"
_SDR = ("41-3091.00", "41-9041.00", "41-4012.00")
_SALES_MANAGER = ("11-2022.00",)
_ENGINEERING_MANAGER = ("11-9041.00", "11-3021.00")
_OPERATIONS_MANAGER = ("11-1021.00",)
_SOCIAL = ("13-1161.00", "27-3031.00")
_SECURITY = ("15-1212.00",)
_CLOUD = ("15-1299.08", "15-1241.00", "15-1244.00")
_QA = ("15-1253.00",)
_RECRUITER = ("13-1071.00",)
_PHYSICIAN = ("29-1229.00", "29-1216.00", "29-1215.00")
_TRUCK = ("53-3032.00",)

MARKET_TITLES: dict[str, tuple[str, ...]] = {
    # software
    **{t: _SOFTWARE for t in ("software engineer", "software developer", "full stack engineer", "full stack developer",
                              "fullstack engineer", "fullstack developer", "backend engineer", "back end engineer",
                              "backend developer", "back end developer", "java developer", "java engineer",
                              "python developer", "python engineer", "net developer", "c developer",
                              "ios developer", "android developer", "mobile developer", "application developer",
                              "salesforce developer", "software development engineer")},
    **{t: _WEB for t in ("frontend engineer", "front end engineer", "frontend developer", "front end developer",
                         "web developer", "ui developer", "javascript developer", "react developer")},
    **{t: _CLOUD for t in ("devops engineer", "site reliability engineer", "cloud engineer", "cloud architect",
                           "solutions architect", "aws cloud architect", "platform engineer")},
    **{t: _SECURITY for t in ("security engineer", "cybersecurity analyst", "cyber security analyst",
                              "information security analyst", "security analyst", "cybersecurity engineer")},
    **{t: _QA for t in ("qa engineer", "quality assurance engineer", "software tester", "qa analyst",
                        "test engineer", "qa tester", "software quality assurance engineer")},
    "data engineer": ("15-1243.00", "15-1252.00"),
    "data scientist": ("15-2051.00",),
    "machine learning engineer": ("15-2051.00", "15-1252.00"),
    "network engineer": ("15-1241.00", "15-1244.00"),
    "systems administrator": ("15-1244.00",),
    "system administrator": ("15-1244.00",),
    "help desk technician": ("15-1232.00",),
    "it support specialist": ("15-1232.00",),
    "desktop support technician": ("15-1232.00",),
    # sales
    **{t: _SALES_REP for t in ("account executive", "sales representative", "outside sales representative",
                               "sales executive", "territory sales representative", "field sales representative",
                               "business development associate", "business development specialist",
                               "business development executive", "account manager", "key account manager")},
    **{t: _SDR for t in ("sales development representative", "business development representative",
                         "inside sales representative", "inside sales associate")},
    **{t: _SALES_MANAGER for t in ("sales manager", "regional sales manager", "area sales manager",
                                   "business development manager", "business development director",
                                   "director of business development", "sales director", "director of sales",
                                   "vp of sales", "vice president of sales", "head of sales")},
    **{t: ("41-3011.00",) for t in ("media sales executive", "advertising sales executive", "media account executive",
                                    "advertising account executive", "advertising sales representative")},
    "chief revenue officer": ("11-2022.00", "11-1011.00"),
    "territory manager": ("41-4012.00", "41-4011.00", "11-2022.00"),
    # management
    "chief executive officer": ("11-1011.00",),
    "chief operating officer": ("11-1011.00", "11-1021.00"),
    "chief technology officer": ("11-3021.00", "11-1011.00"),
    "chief information officer": ("11-3021.00", "11-1011.00"),
    "chief marketing officer": ("11-2021.00", "11-1011.00"),
    "chief financial officer": ("11-3031.01", "11-1011.00"),
    **{t: _ENGINEERING_MANAGER for t in ("vp of engineering", "vice president of engineering", "director of engineering",
                                         "engineering manager", "head of engineering")},
    **{t: _OPERATIONS_MANAGER for t in ("vp of operations", "vice president of operations", "vice president operations",
                                        "director of operations", "operations director", "general manager")},
    "plant manager": ("11-3051.00",),
    # finance and administration
    "accounting manager": ("11-3031.00", "13-2011.00", "11-3031.01"),
    "controller": ("11-3031.01", "11-3031.00"),
    "staff accountant": ("13-2011.00",),
    "senior accountant": ("13-2011.00",),
    "accountant": ("13-2011.00",),
    "accounts payable specialist": ("43-3031.00",),
    "accounts payable clerk": ("43-3031.00",),
    "bookkeeper": ("43-3031.00",),
    "financial analyst": ("13-2051.00",),
    "payroll specialist": ("43-3051.00",),
    "administrative assistant": ("43-6014.00",),
    "executive assistant": ("43-6011.00",),
    "receptionist": ("43-4171.00",),
    "front desk receptionist": ("43-4171.00",),
    "customer service representative": ("43-4051.00",),
    "data entry clerk": ("43-9021.00",),
    # marketing and people
    "marketing manager": ("11-2021.00",),
    "marketing coordinator": ("13-1161.00",),
    "marketing specialist": ("13-1161.00",),
    **{t: _SOCIAL for t in ("social media manager", "social media specialist", "social media coordinator",
                            "social media marketing specialist", "social media account coordinator")},
    "graphic designer": ("27-1024.00",),
    "copywriter": ("27-3043.00",),
    "content writer": ("27-3043.00",),
    **{t: _RECRUITER for t in ("recruiter", "technical recruiter", "talent acquisition specialist",
                               "hr generalist", "human resources generalist", "human resources specialist")},
    "hr manager": ("11-3121.00",),
    "human resources manager": ("11-3121.00",),
    # health
    **{t: _PHYSICIAN for t in ("attending physician", "physician", "hospitalist")},
    "primary care physician": ("29-1215.00", "29-1216.00"),
    "registered nurse": ("29-1141.00",),
    "licensed practical nurse": ("29-2061.00",),
    "certified nursing assistant": ("31-1131.00",),
    "medical assistant": ("31-9092.00",),
    "nurse practitioner": ("29-1171.00",),
    "physician assistant": ("29-1071.00",),
    "pharmacist": ("29-1051.00",),
    "pharmacy technician": ("29-2052.00",),
    "dental hygienist": ("29-1292.00",),
    "dental assistant": ("31-9091.00",),
    "physical therapist": ("29-1123.00",),
    "medical billing specialist": ("43-3021.00", "29-2072.00"),
    "revenue cycle specialist": ("43-3021.00", "29-2072.00"),
    # trades, logistics, service
    **{t: _TRUCK for t in ("truck driver", "cdl driver", "cdl a driver", "class a driver", "class a cdl driver",
                           "otr driver", "regional driver")},
    "delivery driver": ("53-3033.00",),
    "forklift operator": ("53-7051.00",),
    "warehouse associate": ("53-7062.00", "53-7065.00"),
    "maintenance technician": ("49-9071.00", "49-9041.00"),
    "maintenance mechanic": ("49-9041.00", "49-9071.00"),
    "electrician": ("47-2111.00",),
    "hvac technician": ("49-9021.00",),
    "line cook": ("35-2014.00",),
    "restaurant manager": ("11-9051.00",),
    "paralegal": ("23-2011.00",),
    "attorney": ("23-1011.00",),
    "associate attorney": ("23-1011.00",),
    "lawyer": ("23-1011.00",),
}

__all__ = ["MARKET_TITLES"]
