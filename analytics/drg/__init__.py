"""DRG/DIP payment screens (issue 18, contract 1.1): split admissions, up-coding, cost shifting.

Each screen is a short sequence of plain SQL steps over the contract tables (one small
function per step, temp tables in between), so the same steps run on DuckDB today and on
another engine through an SQL adapter.  Findings are :class:`~.case.DrgCase` objects:
cases of one institution, not rings, each with its settlements and the loss the
*Detailed Rules* define (transaction by transaction, then totalled; ``loss``).
"""
