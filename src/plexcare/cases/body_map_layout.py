"""Where things sit on the body map's schematic (`cases.body_map`): the boxes of each leg and of
the wiring diagram, and which box a muscle or skin area is drawn in.

This is drawing, not anatomy: which nerve or root supplies what comes from the knowledge
base through the engine. Here is only the layout of the schematic in SVG units, and the
placing of the knowledge base's muscles (by their movement and distality) and skin areas
(by id, or by region for an area the drawing does not know yet) on its boxes.
"""

from __future__ import annotations

from collections.abc import Mapping

WIDTH, HEIGHT = 400, 500
# The schematic leg, per side: (zone id, words, short label, x offset, y, width, height).
# x offsets are from the leg's outer edge; the left leg is drawn as the mirror image on the
# viewer's right, as a patient facing the clinician is seen.
ZONES: tuple[tuple[str, str, str, int, int, int, int], ...] = (
    ("buttock", "buttock and hip", "Buttock, hip", 40, 190, 140, 36),
    ("thigh_back", "back of the thigh", "Back", 40, 232, 44, 100),
    ("thigh_front", "front of the thigh", "Front", 88, 232, 48, 100),
    ("thigh_inner", "inner thigh and groin", "Inner", 140, 232, 40, 100),
    ("leg_back", "calf", "Calf", 48, 342, 40, 92),
    ("leg_front", "front and outer leg", "Front", 92, 342, 44, 92),
    ("leg_inner", "inner leg", "Inner", 140, 342, 32, 92),
    ("foot_top", "top of the foot", "Top", 60, 444, 56, 40),
    ("foot_sole", "sole and outer edge of the foot", "Sole", 120, 444, 52, 40),
    ("back", "lower back (paraspinal muscles)", "Back muscles", 10, 140, 80, 26),
)
SADDLE = ("saddle", "saddle area (perineum)", "Saddle", 182, 232, 36, 36)

MOVEMENT_ZONES: Mapping[str, str] = {
    "hip_flexion": "thigh_front",
    "knee_extension": "thigh_front",
    "hip_adduction": "thigh_inner",
    "hip_abduction": "buttock",
    "hip_extension": "buttock",
    "hip_internal_rotation": "buttock",
    "hip_external_rotation": "buttock",
    "knee_flexion": "thigh_back",
    "ankle_dorsiflexion": "leg_front",
    "toe_extension": "leg_front",
    "ankle_eversion": "leg_front",
    "ankle_inversion": "leg_back",
    "plantar_flexion": "leg_back",
    "toe_flexion": "leg_back",
    "trunk_extension": "back",
    "sphincter_squeeze": "saddle",
}
FOOT_DISTALITY = 0.85
"""Muscles at or beyond this distality are the foot's own (extensor digitorum brevis on the
top, abductor hallucis in the sole), whatever movement they share with the leg's muscles."""
FOOT_ZONES: Mapping[str, str] = {"leg_front": "foot_top", "leg_back": "foot_sole"}

AREA_ZONES: Mapping[str, tuple[str, ...]] = {
    "iliohypogastric_territory": ("buttock",),
    "groin_ilioinguinal": ("thigh_inner",),
    "femoral_triangle_genitofemoral": ("thigh_front",),
    "lateral_thigh": ("thigh_front",),
    "anterior_thigh": ("thigh_front",),
    "medial_thigh": ("thigh_inner",),
    "posterior_thigh": ("thigh_back",),
    "medial_leg": ("leg_inner",),
    "lateral_calf": ("leg_front",),
    "dorsum_of_foot": ("foot_top",),
    "first_web_space": ("foot_top",),
    "lateral_foot": ("foot_sole",),
    "heel": ("foot_sole",),
    "medial_sole": ("foot_sole",),
    "lateral_sole": ("foot_sole",),
    "saddle_perineum": ("saddle",),
    "dermatome_l1": ("thigh_inner",),
    "dermatome_l2": ("thigh_front",),
    "dermatome_l3": ("thigh_front",),
    "dermatome_l4": ("leg_inner",),
    "dermatome_l5": ("leg_front", "foot_top"),
    "dermatome_s1": ("foot_sole",),
    "dermatome_s2": ("thigh_back", "leg_back"),
    "dermatome_s3": ("saddle",),
}
REGION_ZONES: Mapping[str, str] = {
    "thigh": "thigh_front",
    "leg": "leg_front",
    "foot": "foot_top",
    "groin": "thigh_inner",
    "perineum": "saddle",
}
"""Where a skin area the drawing does not know yet goes, by the knowledge base's region."""

# The wiring diagram, per side: (node id, short label, words, x offset, y, width, height,
# the structures it stands for). A structure not listed is drawn at its nearest listed
# ancestor (the sural nerve at the tibial nerve, a division at its plexus).
ROOTS = ("l1", "l2", "l3", "l4", "l5", "s1", "s2", "s3")
NODES: tuple[tuple[str, str, str, int, int, int, int, tuple[str, ...]], ...] = (
    *(
        (
            f"root_{root}",
            root.upper(),
            f"{root.upper()} root",
            12 + 21 * index,
            14,
            19,
            20,
            (f"root_{root}",),
        )
        for index, root in enumerate(ROOTS)
    ),
    ("lumbar_plexus", "Lumbar plexus", "lumbar plexus", 10, 56, 70, 22, ("upper_lumbar_plexus",)),
    ("ls_trunk", "LS trunk", "lumbosacral trunk", 84, 56, 42, 22, ("lumbosacral_trunk",)),
    ("sacral_plexus", "Sacral plexus", "sacral plexus", 130, 56, 60, 22, ("sacral_plexus",)),
    ("femoral", "Femoral", "femoral nerve", 10, 98, 46, 22, ("femoral_in_pelvis",)),
    ("obturator", "Obturator", "obturator nerve", 60, 98, 50, 22, ("obturator_nerve",)),
    (
        "gluteal",
        "Gluteal",
        "gluteal nerves",
        114,
        98,
        34,
        22,
        ("superior_gluteal_nerve", "inferior_gluteal_nerve"),
    ),
    ("sciatic", "Sciatic", "sciatic nerve", 152, 98, 36, 22, ("sciatic_at_notch",)),
    (
        "fibular",
        "Fibular",
        "common fibular nerve",
        98,
        140,
        42,
        22,
        ("sciatic_common_fibular_division",),
    ),
    ("tibial", "Tibial", "tibial nerve", 144, 140, 44, 22, ("sciatic_tibial_division",)),
)
WIRES: tuple[tuple[str, str], ...] = (
    *((f"root_{root}", "lumbar_plexus") for root in ("l1", "l2", "l3", "l4")),
    *((f"root_{root}", "ls_trunk") for root in ("l4", "l5")),
    *((f"root_{root}", "sacral_plexus") for root in ("s1", "s2", "s3")),
    ("ls_trunk", "sacral_plexus"),
    ("lumbar_plexus", "femoral"),
    ("lumbar_plexus", "obturator"),
    ("sacral_plexus", "gluteal"),
    ("sacral_plexus", "sciatic"),
    ("sciatic", "fibular"),
    ("sciatic", "tibial"),
)
