"""What each demand of the demo asks for, as a person reads it, to check that the demo's groups read right."""

from __future__ import annotations

# What each demo demand asks for, read by a person (the demo's own labels are camps of opinion, broader than this):
# a suggestion that joins two different asks does not read right. Two asks for women's cooperatives (a share of the
# 3x1 projects for them, and help for the one in Juchipila) are one ask.
DEMO_ASKS = [
    "doctor_jerez", "doctor_juchipila", "doctor_fresnillo", "water_jalpa", "water_nochistlan", "road_los_haro",
    "road_tlaltenango", "road_valparaiso", "drainage_sombrerete", "becas_home", "becas_home", "becas_us",
    "mobile_consulate", "mobile_consulate", "mobile_consulate", "daca_legal", "daca_legal", "dual_nationality",
    "know_your_rights", "remittances", "remittances", "matching_funds", "matching_funds", "funds_rule_water_roads",
    "women_coops", "women_coops", "sewing_workshop", "women_officers", "daycare", "feria_jerez", "soccer_league",
    "soccer_league", "folklorico", "less_jaripeos", "youth_workshops", "youth_mental_health", "medi_cal",
    "health_fairs", "mobile_consulate", "remittances",
]
