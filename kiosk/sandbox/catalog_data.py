"""The sandbox's product list, as compact specs that `catalog` expands into API records.

Kept apart from the expansion code so the data reads like a table. Brands are fictional
(apart from the seeds' own placeholder "Example Brand"): the sandbox must never be
mistaken for real product data, but the items, hechshers, brachos and label language are
what a US/Israeli kosher grocery shelf actually holds, so the kiosk's card is exercised on
realistic text (long names, Hebrew notes, several hechshers, "<1g" amounts, no nutrition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["HECHSHERS", "SPECS", "Nut", "Spec", "h"]

# symbol -> (org, logo)
HECHSHERS: dict[str, tuple[str | None, str | None]] = {
    "OU": ("Orthodox Union", "ou.png"),
    "OK": ("OK Kosher Certification", "ok.png"),
    "Star-K": ("Star-K Kosher Certification", "star-k.png"),
    "Star-D": ("Star-D (dairy division of Star-K)", "star-d.png"),
    "CRC": ("Chicago Rabbinical Council", "crc.png"),
    "Chof-K": ("Chof-K Kosher Supervision", "chof-k.png"),
    "Kof-K": ("Kof-K Kosher Supervision", "kof-k.png"),
    "KSA": ("Kosher Supervision of America", "ksa.png"),
    "KVH": ("Kosher Va'ad Harabonim of New England", "kvh.png"),
    "COR": ("Kashruth Council of Canada", "cor.png"),
    "Badatz Eda HaChareidis": ("Badatz Eda HaChareidis (Jerusalem)", "badatz-eda.png"),
    "Badatz Beit Yosef": ("Badatz Beit Yosef", "beit-yosef.png"),
    "Nirbator": ("Nirbator Rav (chassidic)", None),
    "NSK / Skverer": ("New Square Kashrus (Skverer Beis Din)", "nsk.png"),
    "Tartikov Kashrus": ("Tartikov Kashrus", "tartikov.png"),
    "Hisachdus HoRabbonim": ("Hisachdus HoRabbonim", "hisachdus.png"),
    "Rabbanut Tel Aviv": ("Chief Rabbinate of Tel Aviv-Yafo", "rabbanut-ta.png"),
    "Rav Y. Gross": ("Pas Yisroel supervision of Rabbi Y. Gross, Brooklyn NY", None),
    "K-Cert": (None, None),
}


def h(symbol: str, dmp: str | None = "pareve", designation: str | None = None) -> dict[str, Any]:
    """One hechsher object exactly as the reference documents it."""
    org, logo = HECHSHERS[symbol]
    return {
        "symbol": symbol,
        "org": org,
        "logo": logo,
        "dairy_meat_pareve": dmp,
        "additional_designation": designation,
    }


@dataclass(frozen=True)
class Nut:
    """A nutrition panel as numbers; `catalog` prints it the way packages do."""

    serving_size: str
    servings: str
    calories: int
    fat: float
    sat: float
    trans: float
    chol: float
    sodium: float
    carb: float
    fiber: float
    sugars: float
    added: float
    protein: float


@dataclass(frozen=True)
class Spec:
    """One catalog item before expansion. `code` is a barcode kind or literal digits."""

    brand: str | None
    name: str | None
    category: str | None
    shape: str
    colours: tuple[str, str]
    code: str
    variants: str = "ff"
    country: str | None = "United States"
    bracha: str | None = "shehakol"
    hechshers: tuple[dict[str, Any], ...] = (h("OU"),)
    allergens: tuple[str, ...] = ()
    nut: Nut | None = None
    ingredients: str | None = None
    contains: str | None = None
    may_contain: str | None = None
    net_weight: str | None = None
    description: str | None = None
    manufacturer: str | None = None
    distributor: str | None = None
    certs: str | None = None
    notes: str | None = None
    kfp: bool = False
    gf: bool = False
    vegan: bool = False
    organic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_LONG_NAME = (
    "Grandma Rivka's Old-Fashioned Hand-Braided Whole Wheat Challah Rolls with Golden "
    "Raisins, Honey Glaze and Toasted Sesame Topping — Family Size Value Pack of 12, "
    "Pas Yisroel, Baked Fresh Erev Shabbos"
)
_LONG_NAME_2 = (
    "Premium Israeli Dead Sea Region Medjool Dates, Extra Jumbo Size, Naturally Sweet, "
    "Unpitted, Hand-Picked and Sorted in the Arava Valley — Resealable Gift Box for Rosh "
    "Hashanah and Tu B'Shvat"
)

SPECS: tuple[Spec, ...] = (
    # --- cereal / bakery / bread (mezonos, hamotzi) --------------------------------
    Spec("Morning Sun", "Honey Toasted Oat Rings Cereal", "cereal", "box", ("#f2b632", "#7a3b10"),
         "upca", "all", bracha="mezonos", hechshers=(h("OU"),), allergens=("wheat",),
         nut=Nut("1 cup (36g)", "About 10", 140, 2, 0.5, 0, 0, 190, 29, 3, 12, 12, 3),
         ingredients="Whole grain oats, sugar, oat bran, corn starch, honey, brown sugar syrup, "
         "salt, tripotassium phosphate, vitamin E (mixed tocopherols).",
         contains="Contains: Wheat.", net_weight="Net Wt 12.5 oz (354 g)"),
    Spec("Galil Bakery", _LONG_NAME, "bakery", "bag", ("#d9a441", "#5b2c06"), "upca", "all",
         bracha="hamotzi",
         hechshers=(h("OU"), h("Rav Y. Gross", "pareve", "Pas Yisroel, Yoshon")),
         allergens=("wheat", "eggs", "sesame"),
         nut=Nut("1 roll (57g)", "12", 170, 3.5, 0.5, 0, 25, 260, 30, 2, 6, 5, 5),
         ingredients="Whole wheat flour, water, golden raisins, honey, eggs, canola oil, sugar, "
         "yeast, sesame seeds, salt.", contains="Contains: Wheat, Eggs, Sesame.",
         net_weight="Net Wt 24 oz (680 g)", description="Baked fresh erev Shabbos",
         notes="Challah rolls; two hechshers on the bag (OU + Pas Yisroel label of the Rav)."),
    Spec("Shefa Breads", "Sliced Rye Bread with Caraway Seeds", "bakery", "bag",
         ("#a0522d", "#f5deb3"), "upca", "ff", bracha="hamotzi",
         hechshers=(h("KSA", "pareve", "Pas Yisroel"),), allergens=("wheat",),
         nut=Nut("1 slice (32g)", "About 22", 80, 1, 0, 0, 0, 180, 15, 2, 1, 0, 3),
         ingredients="Unbleached wheat flour, water, rye flour, caraway seeds, yeast, salt.",
         net_weight="Net Wt 24 oz (1 lb 8 oz) 680g"),
    Spec("Negev Foods", "Whole Wheat Pita Bread, 6 Pack", "bakery", "bag", ("#c8a165", "#2e4d2e"),
         "ean13_il", "ff", country="Israel", bracha="hamotzi",
         hechshers=(h("Badatz Beit Yosef", "pareve", "Pas Yisroel"),), allergens=("wheat",),
         nut=Nut("1 pita (60g)", "6", 160, 1, 0, 0, 0, 310, 33, 4, 1, 0, 6),
         ingredients="Whole wheat flour, water, yeast, sugar, salt, soybean oil.",
         net_weight="360 g", notes="ברכה: המוציא. פת ישראל."),
    Spec("Bubbe's Kitchen", "Chocolate Babka", "bakery", "box", ("#4b2e1e", "#e8c07d"), "upca",
         "all", bracha="mezonos", hechshers=(h("Chof-K", "dairy", "Cholov Yisroel"),),
         allergens=("milk", "eggs", "wheat", "soy"),
         nut=Nut("1/10 cake (45g)", "10", 190, 8, 4, 0, 30, 95, 27, 1, 14, 13, 3),
         ingredients="Enriched flour, sugar, butter, cocoa, eggs, milk, yeast, soy lecithin.",
         contains="Contains: Milk, Eggs, Wheat, Soy.", net_weight="Net Wt 16 oz (454 g)"),
    Spec("Negev Foods", "Mini Pretzel Crackers", "snacks", "bag", ("#1f5fa8", "#ffd447"), "upce",
         "ff", bracha="mezonos", hechshers=(h("OK"),), allergens=("wheat",),
         nut=Nut("17 pieces (28g)", "About 8", 110, 1, 0, 0, 0, 450, 23, 0.6, 0.5, 0, 3),
         ingredients="Enriched wheat flour, salt, corn syrup, canola oil, yeast, baking soda.",
         net_weight="Net Wt 8 oz (227 g)"),
    # --- snacks (shehakol, haadama) --------------------------------------------------
    Spec("Shalom Snacks", "Peanut Puffs (Original)", "snacks", "bag", ("#e4572e", "#fff3b0"),
         "ean13_il", "all", country="Israel", hechshers=(h("Badatz Eda HaChareidis"),),
         allergens=("peanuts",),
         nut=Nut("1 bag (25g)", "1", 135, 8.5, 1.5, 0, 0, 100, 13, 0.8, 0.5, 0, 4),
         ingredients="Corn grits, peanut butter (50%), vegetable oil, salt.",
         contains="Contains: Peanuts.", net_weight="25 g", gf=True,
         notes="Israeli peanut snack; Hebrew label: ברכה: שהכל, בד\"ץ העדה החרדית."),
    Spec("Crunchtown", "Sea Salt Potato Chips", "snacks", "bag", ("#ffcc00", "#c1121f"), "upca",
         "ff", bracha="haadama", hechshers=(h("OU"),),
         nut=Nut("1 oz (28g / about 15 chips)", "About 8", 160, 10, 1.5, 0, 0, 170, 15, 1, 0, 0,
                 2),
         ingredients="Potatoes, sunflower oil, sea salt.", net_weight="Net Wt 8 oz (226.8 g)",
         gf=True, vegan=True),
    Spec("Crunchtown", "Sour Cream & Onion Tortilla Chips", "snacks", "bag",
         ("#2a9d8f", "#e9c46a"), "upca", "front", bracha="shehakol",
         hechshers=(h("OU", "dairy"),), allergens=("milk",),
         nut=Nut("1 oz (28g)", "About 9", 150, 8, 1, 0, 0.5, 210, 18, 1, 1, 0, 2),
         ingredients="Corn, vegetable oil, sour cream powder (cultured cream, nonfat milk), onion "
         "powder, salt.", contains="Contains: Milk.", net_weight="Net Wt 9.25 oz (262.2 g)"),
    Spec("Galil Valley", "Roasted Salted Pistachios", "snacks", "bag", ("#93c572", "#4a2c2a"),
         "upca", "all", bracha="haetz", hechshers=(h("Star-K"),), allergens=("tree nuts",),
         nut=Nut("1/4 cup (30g)", "About 15", 170, 14, 1.5, 0, 0, 160, 8, 3, 2, 0, 6),
         ingredients="Pistachios, salt.", contains="Contains: Pistachios (tree nuts).",
         may_contain="Processed in a facility that also processes peanuts.",
         net_weight="Net Wt 16 oz (1 lb) 454g", gf=True, vegan=True),
    Spec("Sweet Shtetl", "Milk Chocolate Bar with Hazelnuts", "candy", "box",
         ("#5c3317", "#d4af37"), "ean13", "ff", country="Belgium",
         hechshers=(h("OU", "dairy", "Cholov Yisroel"),), allergens=("milk", "tree nuts", "soy"),
         nut=Nut("1/3 bar (33g)", "3", 180, 11, 6, 0, 5, 25, 17, 1, 15, 14, 3),
         ingredients="Sugar, cocoa butter, whole milk powder, hazelnuts (15%), cocoa mass, soy "
         "lecithin, vanilla.", contains="Contains: Milk, Hazelnuts, Soy.", net_weight="100 g"),
    Spec("Sweet Shtetl", "Sour Watermelon Gummies", "candy", "bag", ("#ff4f79", "#3ddc84"),
         "ean8", "front", hechshers=(h("Kof-K"),),
         nut=Nut("13 pieces (40g)", "About 5", 130, 0, 0, 0, 0, 20, 32, 0, 22, 22, 2),
         ingredients="Sugar, corn syrup, fish gelatin, citric acid, natural flavors, colors.",
         allergens=("fish",), contains="Contains: Fish (gelatin).", net_weight="7 oz (198 g)"),
    # --- dairy ------------------------------------------------------------------------
    Spec("Kineret Dairy", "Whole Milk, Cholov Yisroel", "dairy", "carton", ("#ffffff", "#1d4e89"),
         "upca", "all", hechshers=(h("OU", "dairy", "Cholov Yisroel"),), allergens=("milk",),
         nut=Nut("1 cup (240 mL)", "4", 150, 8, 5, 0, 35, 120, 12, 0, 12, 0, 8),
         ingredients="Grade A milk, vitamin D3.", contains="Contains: Milk.",
         net_weight="1 QT (946 mL)", gf=True),
    Spec("Kineret Dairy", "Greek Yogurt, Plain 0%", "dairy", "can", ("#e0f2ff", "#0b3d91"),
         "ean13_il", "ff", country="Israel",
         hechshers=(h("Rabbanut Tel Aviv", "dairy", "Cholov Yisroel"),), allergens=("milk",),
         nut=Nut("1 container (150g)", "1", 90, 0, 0, 0, 5, 60, 5, 0, 4, 0, 15),
         ingredients="Cultured pasteurized nonfat milk, live active cultures.",
         contains="Contains: Milk.", net_weight="150 g", gf=True,
         notes="Hebrew lid: חלב ישראל. Keep refrigerated."),
    Spec("Kineret Dairy", "Muenster Cheese Slices", "dairy", "box", ("#ff9f1c", "#ffffff"),
         "upce", "back", hechshers=(h("Star-D", "dairy", "Cholov Yisroel"),),
         allergens=("milk",),
         nut=Nut("1 slice (21g)", "About 8", 80, 6, 4, 0, 20, 140, 0, 0, 0, 0, 5),
         ingredients="Pasteurized milk, cheese cultures, salt, enzymes, annatto.",
         contains="Contains: Milk.", net_weight="Net Wt 6 oz (170 g)",
         notes="Work-in-progress ingest: back photographed first."),
    # --- beverages / wine / juice (hagafen) -----------------------------------------
    Spec("Harei Yehuda Winery", "Cabernet Sauvignon Dry Red Wine 2022", "beverages", "bottle",
         ("#5e0b15", "#f2e9e4"), "ean13_il", "all", country="Israel", bracha="hagafen",
         hechshers=(h("OU", "pareve", "Mevushal"), h("Rabbanut Tel Aviv", "pareve")),
         allergens=("sulfites",), ingredients="Grapes, contains sulfites.",
         contains="Contains: Sulfites.", net_weight="750 mL",
         description="Aged 12 months in French oak", kfp=True, gf=True,
         notes="Kosher for Passover, Mevushal. Hebrew back label: יין אדום יבש."),
    Spec("Vineyard Valley", "Concord Grape Juice", "juice", "bottle", ("#4b0082", "#c8a2c8"),
         "upca", "ff", bracha="hagafen", hechshers=(h("OU", "pareve", "Kosher for Passover"),),
         nut=Nut("8 fl oz (240 mL)", "8", 160, 0, 0, 0, 0, 15, 40, 0, 38, 0, 0),
         ingredients="Grape juice from concentrate, vitamin C.", net_weight="64 FL OZ (1.89 L)",
         kfp=True, gf=True, vegan=True),
    Spec("Spring Hill", "Sparkling Mineral Water, Lemon", "beverages", "bottle",
         ("#b8e0f6", "#f4d03f"), "upca", "front", hechshers=(h("OK"),),
         nut=Nut("1 bottle (500 mL)", "1", 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0),
         ingredients="Carbonated mineral water, natural lemon flavor.",
         net_weight="12 pack x 355 ml", gf=True, vegan=True),
    Spec("Spring Hill", "Iced Tea, Peach, Unsweetened", "beverages", "can",
         ("#ffb347", "#2e8b57"), "ean8", "ff", bracha="", hechshers=(h("KVH"),),
         nut=Nut("1 can (330 mL)", "1", 5, 0, 0, 0, 0, 15, 1, 0, 0, 0, 0),
         ingredients="Brewed black tea, natural peach flavor, citric acid.", net_weight="330 mL",
         notes="Legacy scan: bracha not classified yet."),
    # --- produce / fruit (haetz, haadama) -------------------------------------------
    Spec("Arava Fields", _LONG_NAME_2, "produce", "box", ("#6b3e26", "#f3d9a4"), "ean13_il",
         "all", country="Israel", bracha="haetz", hechshers=(h("Badatz Eda HaChareidis"),),
         nut=Nut("4 dates (40g)", "About 12", 110, 0, 0, 0, 0, 0, 30, 3, 27, 0, 1),
         ingredients="Medjool dates.", may_contain="Contains pits.", net_weight="500 g",
         gf=True, vegan=True, notes="ברכה: העץ. תרומות ומעשרות הופרשו."),
    Spec("Galil Valley", "Dried Apricots, Unsulphured", "produce", "bag", ("#fb8b24", "#5f0f40"),
         "upca", "ff", country="Turkey", bracha="haetz", hechshers=(h("CRC"),),
         nut=Nut("1/4 cup (40g)", "About 7", 100, 0, 0, 0, 0, 5, 25, 3, 21, 0, 1),
         ingredients="Apricots.", net_weight="Net Wt 10 oz (283 g)", gf=True, vegan=True,
         organic=True, certs="USDA Organic, Non-GMO Project Verified"),
    Spec("Green Acre", "Baby Carrots", "produce", "bag", ("#ff7f11", "#2d6a4f"), "upce", "front",
         bracha="haadama", hechshers=(h("Star-K", "pareve", "Bodek"),),
         nut=Nut("3 oz (85g)", "About 5", 30, 0, 0, 0, 0, 65, 7, 2, 4, 0, 0.5),
         ingredients="Carrots.", net_weight="Net Wt 16 oz (1 lb) 454g", gf=True, vegan=True),
    Spec("Green Acre", "Checked Romaine Hearts", "produce", "bag", ("#55a630", "#ffffff"),
         "upca", "all", bracha="haadama",
         hechshers=(h("OK", "pareve", "Bodek — insect checked"), h("Nirbator", "pareve")),
         nut=Nut("1 1/2 cups (85g)", "About 4", 15, 0, 0, 0, 0, 10, 3, 2, 1, 0, 1),
         ingredients="Romaine lettuce.", net_weight="Net Wt 10 oz (283 g)", gf=True, vegan=True,
         notes="Bodek insect-checked; no need to wash leaf by leaf per the Rav's label."),
    Spec("Negev Foods", "Israeli Couscous (Ptitim)", "pasta", "box", ("#e9d8a6", "#005f73"),
         "ean13_il", "ff", country="Israel", bracha="mezonos",
         hechshers=(h("Badatz Beit Yosef"), h("Rabbanut Tel Aviv")), allergens=("wheat", "gluten"),
         nut=Nut("1/4 cup dry (56g)", "About 9", 200, 1, 0, 0, 0, 0, 41, 1, 0, 0, 7),
         ingredients="Semolina (wheat), wheat flour.", net_weight="500 g",
         notes="Hebrew front: פתיתים אפויים. ברכה: מזונות."),
    Spec("Shefa Pasta", "Spaghetti No. 5", "pasta", "box", ("#003f88", "#fdc500"), "ean13", "all",
         country="Italy", bracha="mezonos", hechshers=(h("OU"),), allergens=("wheat",),
         nut=Nut("2 oz (56g)", "About 8", 200, 1, 0, 0, 0, 0, 42, 2, 1, 0, 7),
         ingredients="Durum wheat semolina, niacin, iron, thiamine, riboflavin, folic acid.",
         net_weight="Net Wt 16 oz (1 lb) 454g"),
    # --- frozen / fish / meat ----------------------------------------------------------
    Spec("Catch of the Day", "Breaded Flounder Fillets", "frozen", "box", ("#0077b6", "#caf0f8"),
         "upca", "all", hechshers=(h("OU"),), allergens=("fish", "wheat"),
         nut=Nut("1 fillet (113g)", "4", 240, 12, 2, 0, 30, 450, 20, 0.5, 1, 1, 11),
         ingredients="Flounder, wheat flour, water, soybean oil, salt, yeast, spices.",
         contains="Contains: Fish (Flounder), Wheat.", may_contain="Keep frozen.",
         net_weight="Net Wt 16 oz (454 g)", certs="MSC Certified Sustainable Seafood"),
    Spec("Gan Eden Poultry", "Chicken Cutlets, Thin Sliced", "poultry", "box",
         ("#f9dcc4", "#9d0208"), "upca", "front", hechshers=(h("OU", "meat"), h("Tartikov Kashrus",
                                                                             "meat")),
         nut=Nut("4 oz (112g)", "About 4", 120, 2, 0.5, 0, 70, 300, 0, 0, 0, 0, 26),
         ingredients="Chicken breast, salt (from koshering).", net_weight="Net Wt 1.25 lb (567 g)",
         gf=True, notes="Glatt kosher. Salted in the koshering process."),
    Spec("Gan Eden Poultry", "Beef Frankfurters", "meat", "box", ("#8b0000", "#ffd166"),
         "upce", "ff", hechshers=(h("Hisachdus HoRabbonim", "meat"),), allergens=("mustard",),
         nut=Nut("1 frank (56g)", "8", 170, 15, 6, 0.5, 35, 480, 2, 0, 1, 1, 7),
         ingredients="Beef, water, salt, corn syrup, spices, mustard, sodium nitrite.",
         contains="Contains: Mustard.", net_weight="Net Wt 16 oz (454 g)"),
    Spec("Kineret Dairy", "Frozen Cheese Blintzes", "frozen", "box", ("#fff1d0", "#d62828"),
         "upca", "back", bracha="mezonos", hechshers=(h("OU", "dairy"),),
         allergens=("milk", "eggs", "wheat"),
         nut=Nut("2 blintzes (100g)", "About 6", 200, 7, 4, 0, 60, 330, 25, 0.5, 8, 7, 9),
         ingredients="Farmer cheese, enriched flour, eggs, sugar, butter, salt.",
         contains="Contains: Milk, Eggs, Wheat.", net_weight="Net Wt 13 oz (369 g)"),
    # --- pantry: soups, canned, condiments, oils, spices ---------------------------------
    Spec("Bubbe's Kitchen", "Matzo Ball & Soup Mix", "soups", "box", ("#f6bd60", "#84a59d"),
         "upca", "ff", bracha="mezonos", hechshers=(h("OU"),), allergens=("wheat", "eggs"),
         nut=Nut("1 tbsp mix (9g)", "About 13", 30, 0, 0, 0, 0, 620, 6, 0, 0, 0, 1),
         ingredients="Matzo meal, salt, onion powder, parsley, dried egg, turmeric.",
         contains="Contains: Wheat, Eggs.", net_weight="Net Wt 4.5 oz (127 g)"),
    Spec("Harvest Table", "Tomato Sauce, No Salt Added", "canned goods", "can",
         ("#d00000", "#ffba08"), "upce", "all", bracha="haadama", hechshers=(h("OK"),),
         nut=Nut("1/4 cup (63g)", "About 3.5", 20, 0, 0, 0, 0, 20, 4, 1, 3, 0, 1),
         ingredients="Tomato puree (water, tomato paste), citric acid.", net_weight="8 oz (227 g)",
         gf=True, vegan=True),
    Spec("Harvest Table", "Chickpeas (Garbanzo Beans)", "canned goods", "can",
         ("#e9c46a", "#264653"), "upca", "front", bracha="haadama", hechshers=(h("CRC"),),
         nut=Nut("1/2 cup (130g)", "About 3.5", 120, 2, 0, 0, 0, 290, 20, 6, 0, 0, 6),
         ingredients="Chickpeas, water, salt, disodium EDTA.", net_weight="Net Wt 15.5 oz (439 g)",
         gf=True, vegan=True),
    Spec("Galil Valley", "Tahini, 100% Pure Sesame", "condiments", "jar", ("#c9a66b", "#1b4332"),
         "ean13_il", "all", country="Israel", hechshers=(h("Badatz Eda HaChareidis"),),
         allergens=("sesame",),
         nut=Nut("2 tbsp (30g)", "About 17", 190, 16, 2.5, 0, 0, 10, 6, 3, 0, 0, 6),
         ingredients="Ground roasted sesame seeds.", contains="Contains: Sesame.",
         net_weight="500 g", gf=True, vegan=True, notes="טחינה גולמית. Hebrew label only."),
    Spec("Harvest Table", "Extra Virgin Olive Oil", "oils", "bottle", ("#556b2f", "#e9edc9"),
         "ean13", "ff", country="Spain", bracha=None, hechshers=(h("OU"),),
         nut=Nut("1 tbsp (15 mL)", "About 33", 120, 14, 2, 0, 0, 0, 0, 0, 0, 0, 0),
         ingredients="Extra virgin olive oil.", net_weight="500 mL (16.9 FL OZ)", gf=True,
         vegan=True, certs="Non-GMO Project Verified"),
    Spec("Harvest Table", "Ground Cinnamon", "spices", "jar", ("#7f4f24", "#ede0d4"), "ean8",
         "front", bracha="haadama", hechshers=(h("Chof-K"),),
         nut=Nut("1/4 tsp (0.6g)", "About 80", 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0),
         ingredients="Cinnamon.", net_weight="Net Wt 2.37 oz (67 g)", gf=True, vegan=True),
    Spec("Harvest Table", "Wildflower Honey", "condiments", "jar", ("#f9a620", "#5c4033"),
         "upca", "ff", hechshers=(h("Star-K"),),
         nut=Nut("1 tbsp (21g)", "About 16", 60, 0, 0, 0, 0, 0, 17, 0, 17, 0, 0),
         ingredients="Pure honey.", net_weight="Net Wt 12 oz (340 g)", gf=True, kfp=True,
         notes="Kosher for Passover year-round."),
    Spec("Sweet Shtetl", "Passover Coconut Macaroons, Chocolate Chip", "bakery", "can",
         ("#3c1518", "#f2f3ae"), "upca", "ff", bracha="shehakol",
         hechshers=(h("OU", "pareve", "Kosher for Passover, Non-Gebrokts"),),
         allergens=("eggs", "tree nuts"),
         nut=Nut("2 cookies (30g)", "About 9", 140, 8, 7, 0, 0, 35, 16, 1, 14, 14, 1),
         ingredients="Coconut, sugar, egg whites, chocolate chips, potato starch, vanilla.",
         contains="Contains: Eggs, Coconut (tree nut).", net_weight="Net Wt 10 oz (283 g)",
         kfp=True, gf=True, notes="No grain: shehakol. Made with potato starch, not matzo meal."),
    Spec("Shefa Pasta", "Yoshon Egg Noodles, Wide", "pasta", "bag", ("#f4d35e", "#0d3b66"),
         "upca", "front", bracha="mezonos", hechshers=(h("COR", "pareve", "Yoshon"),),
         allergens=("wheat", "eggs"), country="Canada",
         nut=Nut("1 1/3 cup (56g)", "About 8", 220, 2.5, 0.5, 0, 55, 15, 40, 2, 1, 0, 8),
         ingredients="Durum wheat flour, eggs, niacin, iron, thiamine, riboflavin, folic acid.",
         contains="Contains: Wheat, Eggs.", net_weight="Net Wt 12 oz (340 g)"),
    # --- non-food: judaica, paper goods, cleaning ---------------------------------------
    Spec("Ner Mitzvah", "Shabbos Candles, 72 Pack", "judaica", "box", ("#ffffff", "#1d3557"),
         "upca", "ff", bracha="", hechshers=(), net_weight="72 candles",
         ingredients="", description="4-hour burn time", notes="Non-food; paraffin wax."),
    Spec(None, "Havdalah Candle, Braided, Blue & White", "judaica", "box",
         ("#457b9d", "#f1faee"), "ean8", "front", country=None, bracha=None, hechshers=(),
         ingredients="", notes="Hand-braided; made in Tzfat. צפת."),
    Spec("Ner Mitzvah", "Pure Olive Oil Chanukah Cups, 44 Pack", "judaica", "box",
         ("#fca311", "#14213d"), "ean13_il", "all", country="Israel", bracha=None,
         hechshers=(h("Badatz Eda HaChareidis", None),), ingredients="", net_weight="44 cups",
         notes="Not for consumption. Hebrew: שמן זית זך לחנוכה."),
    Spec("Brightway Home", "Aluminum Foil Pans, Full Size Deep", "paper goods", "box",
         ("#adb5bd", "#d90429"), "upca", "ff", bracha=None, hechshers=(),
         ingredients="", net_weight="5 pans"),
    Spec("Brightway Home", "Plastic Tablecloth Roll, White, 40 in x 100 ft", "paper goods",
         "box", ("#ffffff", "#0077b6"), "upce", "back", bracha="", hechshers=(), ingredients=None,
         net_weight="1 roll"),
    Spec("Brightway Home", "Lemon Dish Soap, Concentrated", "cleaning", "bottle",
         ("#ffea00", "#007f5f"), "upca", "all", bracha=None,
         hechshers=(h("K-Cert", None, "Kosher for Passover"),), ingredients="",
         net_weight="24 FL OZ (709 mL)",
         notes="Certified for Pesach use with dishes; non-food."),
    Spec(None, None, None, "box", ("#cccccc", "#333333"), "upca", "back_only", country=None,
         bracha=None, hechshers=(), ingredients=None,
         notes="Ingest in progress: back photo only, product details pending."),
    # --- a few more food items (coverage of shapes, flags and nulls) ----------------------
    Spec("Morning Sun", "Gluten Free Crispy Rice Cereal", "cereal", "box",
         ("#ff595e", "#ffca3a"), "upca", "ff", bracha="shehakol", hechshers=(h("OU"),),
         nut=Nut("1 1/4 cup (33g)", "About 9", 130, 0, 0, 0, 0, 180, 29, 0, 4, 4, 2),
         ingredients="Rice, sugar, salt, molasses.", net_weight="Net Wt 11.5 oz (326 g)",
         gf=True, vegan=True),
    Spec("Kineret Dairy", "Cream Cheese Spread, Chive", "dairy", "can", ("#e0fbfc", "#3d5a80"),
         "ean13_il", "back", country="Israel", hechshers=(h("Rabbanut Tel Aviv", "dairy"),),
         allergens=("milk",),
         nut=Nut("2 tbsp (30g)", "About 7", 90, 8, 5, 0, 25, 120, 1, 0, 1, 0, 2),
         ingredients="Pasteurized cream, milk, chives, salt, carob bean gum.",
         contains="Contains: Milk.", net_weight="225 g"),
    Spec("Crunchtown", "Everything Bagel Seasoning Sesame Sticks", "snacks", "bag",
         ("#6a4c93", "#ffca3a"), "upca", "ff", bracha="mezonos", hechshers=(h("OK", "pareve"),
                                                                           h("KSA", "pareve")),
         allergens=("wheat", "sesame", "soy"),
         nut=Nut("1/4 cup (30g)", "About 8", 160, 10, 1, 0, 0, 240, 15, 1, 1, 1, 3),
         ingredients="Wheat flour, sesame seeds, soybean oil, garlic, onion, poppy seeds, salt.",
         contains="Contains: Wheat, Sesame, Soy.", net_weight="Net Wt 8 oz (227 g)",
         organic=True, certs="USDA Organic"),
)
