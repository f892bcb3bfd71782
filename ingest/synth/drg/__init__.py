"""DRG/DIP payment data for the generator (contract 1.1).

- ``groups``: a CHS-DRG-like ``drg_groups`` catalogue, weights and payments varied per seed;
- ``episodes``: coded inpatient episodes (principal and secondary diagnoses, procedures);
- ``planting``: ordinary coded care, the three violations (split admissions, up-coding,
  cost shifting) and each one's legitimate look-alikes, with ``truth/drg_cases.csv``.
"""
