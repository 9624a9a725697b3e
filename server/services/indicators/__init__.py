"""KYC indicators: settlement and city profiles (docs/indicators.md).

- `formulas`: pure functions of one record's answers (hand-checked in unit tests);
- `facts`: the flat facts tables, refreshed from the records by server_seq;
- `enumeration`: household-derived figures per settlement (one GROUP BY);
- `privacy`: small-count suppression for city officials;
- `profiles`: what the API, web pages and downloads show.
"""
