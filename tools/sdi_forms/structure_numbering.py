"""Structure numbering and mapping: one record per structure, linked to its settlement.

Numberers paint a code such as `KB-045` on the wall (settlement letters, a dash, a
number); the same code is written on every household record in that structure, so the
format is checked strictly here.
"""

from __future__ import annotations

from shared_choices import OTHER, SPECIFY_OTHER
from xlsform_table import Form, Row, T, choice_list, count, q

VERSION = "2026120601"
#: Settlement letters, a dash and a number: KB-045, MTW-1200.
STRUCTURE_NUMBER = "regex(., '^[A-Z]{1,4}-[0-9]{1,5}$')"
STRUCTURE_NUMBER_MSG = T(
    "Write it as painted: 1-4 capital letters, a dash, 1-5 digits (e.g. KB-045).",
    "Écrivez-le comme peint : 1 à 4 majuscules, un tiret, 1 à 5 chiffres (ex. KB-045).",
    "Escreva como pintado: 1-4 maiúsculas, um hífen, 1-5 algarismos (ex. KB-045).",
    "Andika kama ilivyopakwa: herufi kubwa 1-4, kistari, tarakimu 1-5 (mf. KB-045).",
)
STRUCTURE_NUMBER_LABEL = T(
    "Structure number painted on the wall", "Numéro peint sur le mur",
    "Número pintado na parede", "Namba ya jengo iliyopakwa ukutani",
)

MATERIAL_WALL = [
    ("brick_block", T("Brick or concrete block", "Briques ou parpaings",
                      "Tijolo ou bloco", "Matofali au bloku")),
    ("iron_sheet", T("Iron sheets", "Tôles", "Chapas de zinco", "Mabati")),
    ("wood", T("Wood or planks", "Bois ou planches", "Madeira ou tábuas", "Mbao")),
    ("mud", T("Mud or mud and poles", "Terre ou torchis", "Barro ou pau-a-pique",
              "Udongo au udongo na miti")),
    ("plastic_cardboard", T("Plastic or cardboard", "Plastique ou carton",
                            "Plástico ou cartão", "Plastiki au boksi")),
    ("other", OTHER),
]
MATERIAL_ROOF = [
    ("iron_sheet", T("Iron sheets", "Tôles", "Chapas de zinco", "Mabati")),
    ("tiles", T("Tiles", "Tuiles", "Telhas", "Vigae")),
    ("concrete", T("Concrete slab", "Dalle en béton", "Laje de betão", "Zege")),
    ("thatch", T("Thatch or grass", "Chaume", "Colmo ou capim", "Nyasi")),
    ("plastic_cardboard", T("Plastic or cardboard", "Plastique ou carton",
                            "Plástico ou cartão", "Plastiki au boksi")),
    ("other", OTHER),
]
USES = [
    ("residential", T("Residential", "Résidentiel", "Residencial", "Makazi")),
    ("business", T("Business", "Commerce", "Comércio", "Biashara")),
    ("mixed", T("Residential and business", "Résidentiel et commerce",
                "Residencial e comércio", "Makazi na biashara")),
    ("community", T("Community (church, school, hall)", "Communautaire (église, école, salle)",
                    "Comunitário (igreja, escola, salão)", "Jamii (kanisa, shule, ukumbi)")),
    ("other", OTHER),
]


def survey() -> list[Row]:
    return [
        q("text", "settlement_id",
          T("Settlement record", "Fiche du quartier", "Registo do bairro",
            "Kumbukumbu ya makazi"),
          hint=T("Filled in by the app from the settlement profile.",
                 "Rempli par l'application depuis le profil du quartier.",
                 "Preenchido pela aplicação a partir do perfil do bairro.",
                 "Hujazwa na programu kutoka wasifu wa makazi.")),
        q("text", "settlement_name", T("Settlement name", "Nom du quartier",
                                       "Nome do bairro", "Jina la makazi")),
        q("text", "structure_number", STRUCTURE_NUMBER_LABEL,
          constraint=STRUCTURE_NUMBER, msg=STRUCTURE_NUMBER_MSG),
        q("geopoint", "gps", T("Location of the structure", "Position de la construction",
                               "Localização da construção", "Mahali pa jengo"),
          hint=T("Stand at the door.", "Tenez-vous à la porte.", "Fique junto à porta.",
                 "Simama mlangoni."),
          # Structures stand a few metres apart: a fix worse than 20 m may be the neighbour's.
          parameters="capture-accuracy=5 warning-accuracy=20"),
        q("geoshape", "footprint", T("Outline of the structure", "Contour de la construction",
                                     "Contorno da construção", "Umbo la jengo"),
          required=False),
        q("select_one structure_use", "structure_use",
          T("What is the structure used for?", "À quoi sert la construction ?",
            "Para que serve a construção?", "Jengo linatumika kwa nini?")),
        q("text", "structure_use_other", SPECIFY_OTHER,
          relevant="${structure_use} = 'other'"),
        q("integer", "storeys", T("Number of storeys", "Nombre de niveaux",
                                  "Número de pisos", "Idadi ya ghorofa"),
          constraint=". >= 1 and . <= 30",
          msg=T("From 1 to 30.", "De 1 à 30.", "De 1 a 30.", "Kati ya 1 na 30.")),
        q("select_one wall_material", "wall_material",
          T("Main wall material", "Matériau principal des murs",
            "Material principal das paredes", "Kuta zimejengwa kwa nini?")),
        q("select_one roof_material", "roof_material",
          T("Main roof material", "Matériau principal du toit",
            "Material principal do telhado", "Paa limejengwa kwa nini?")),
        count("households", T("Households living in it", "Ménages qui y vivent",
                              "Agregados que lá vivem", "Kaya zinazoishi humo"),
              maximum=100, relevant="${structure_use} != 'business'"),
        q("image", "photo", T("Photo showing the painted number",
                              "Photo montrant le numéro peint",
                              "Fotografia com o número pintado",
                              "Picha inayoonyesha namba iliyopakwa"),
          required=False, parameters="max-pixels=1024"),
        q("text", "comments", T("Comments", "Commentaires", "Comentários", "Maoni"),
          required=False, appearance="multiline"),
    ]


def build() -> Form:
    return Form(
        form_id="sdi_structure_numbering",
        title=T("SDI structure numbering", "Numérotation des constructions SDI",
                "Numeração de construções SDI", "Uwekaji namba wa majengo wa SDI"),
        version=VERSION,
        instance_name="concat(${structure_number}, ' - ', ${settlement_name})",
        survey=tuple(survey()),
        choices=(
            *choice_list("structure_use", USES),
            *choice_list("wall_material", MATERIAL_WALL),
            *choice_list("roof_material", MATERIAL_ROOF),
        ),
    )
