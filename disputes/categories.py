"""The seed of the dispute-category dictionary (DOMAIN.md Part 3 §2.2).

Codes are stable; names can be edited in the admin. `suggested_affiliations` is the
panel the classification proposes (the secretary confirms it).
"""

CADRE, POLICE, COURT, JUDICIAL, RELIGIOUS, LAWYER, COUNSELLOR, PROPERTY = (
    "community_cadre",
    "police_station",
    "court",
    "judicial_office",
    "religious_figure",
    "lawyer",
    "counsellor",
    "property_company",
)

SEED = [
    # (code, 名称, English, suggested panel)
    ("marriage", "婚姻纠纷", "marriage", [CADRE, JUDICIAL, COUNSELLOR]),
    ("family", "家庭纠纷", "family", [CADRE, JUDICIAL]),
    ("elder_support", "赡养纠纷", "support of elders", [CADRE, JUDICIAL]),
    ("spousal_support", "扶养纠纷", "support between spouses", [CADRE, JUDICIAL]),
    ("child_support", "抚养纠纷", "child support", [CADRE, JUDICIAL]),
    ("inheritance", "继承纠纷", "inheritance", [JUDICIAL, COURT]),
    ("neighbours", "邻里纠纷", "neighbours (parking included)", [CADRE, PROPERTY, POLICE]),
    ("debt", "债务纠纷", "debts", [JUDICIAL, COURT]),
    ("house_homestead", "房屋宅基地纠纷", "houses and homesteads", [JUDICIAL, COURT]),
    ("damages", "损害赔偿纠纷", "damages", [JUDICIAL, COURT]),
    ("business", "生产经营纠纷", "production and business", [JUDICIAL, LAWYER]),
    ("contract", "合同纠纷", "contracts", [JUDICIAL, LAWYER]),
    ("land", "土地承包纠纷", "land and land contracts", [JUDICIAL, COURT]),
    ("demolition", "征地拆迁纠纷", "requisition and demolition", [JUDICIAL, COURT]),
    ("labour", "劳资纠纷", "labour and wages", [JUDICIAL, LAWYER]),
    ("environment", "环境污染纠纷", "environment", [CADRE, JUDICIAL]),
    ("traffic", "交通事故纠纷", "traffic", [POLICE, JUDICIAL]),
    ("medical", "医疗纠纷", "doctor and patient", [JUDICIAL, LAWYER]),
    (
        "property_management",
        "物业纠纷",
        "property management (parking included)",
        [CADRE, PROPERTY, POLICE],
    ),
    (
        "ethnic_religious",
        "民族宗教相关纠纷",
        "ethnic and religious matters",
        [CADRE, RELIGIOUS, JUDICIAL],
    ),
    ("other", "其他纠纷", "other", [CADRE]),
]


def seed(category_model=None) -> None:
    """Create the seeded categories that are missing; names already edited are kept."""
    if category_model is None:
        from .models import Category as category_model
    for order, (code, name, name_en, panel) in enumerate(SEED):
        category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "suggested_affiliations": panel,
                "order": order * 10,
            },
        )
