"""Pure view-model functions for the explorer pages: tables, chart data, graph HTML.

Pages (``app/explorer``) only call these, so every view is unit-testable and
benchmarkable without a browser.
"""
