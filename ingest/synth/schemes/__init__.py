"""Planters of the five fraud schemes of the data contract (section 2).

Each module plants the rings of one scheme on top of the ordinary
population: members are ordinary people who also keep their normal
activity; only the planted transactions are fraudulent and go to the truth.
"""
SCHEMES = ("trace_resale", "borrowed_cards", "car_shuttle", "over_prescription", "maternity")
