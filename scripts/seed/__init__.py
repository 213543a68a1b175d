"""The seed build: data/seed/*.json from the public files and mapping tables in data/sources/.

`make data` runs scripts/build_seed.py, which calls `build.build_all`. One module per concern:

- `common`: paths, file names, the seed files' source and licence texts, CSV reading, errors;
- `tables`: the mapping and fact tables of data/sources/ this build reads (country spellings, material
  aliases, the per-row modelling of the non-Chinese signals, mining sites, rare-earth importer sourcing);
- `shares`: the EU CRM share tables, groupings and WGI, with their checks;
- `materials`, `dependencies` (with `trade` and `trade_method`), `governance`, `signals`: one seed file each;
- `build`: every seed file and its exact text.

Every item is validated with its domain model before anything is written; the output is deterministic, so
tests/unit/test_seed_data.py compares it with the committed files.
"""
