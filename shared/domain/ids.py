"""The shapes of the ids clients send: one home for each pattern (API parameters, request models, domain models).

Each pattern is anchored and bounded, so it says on its own what is accepted; the OpenAPI document shows them
as they are here. What an id means (is the material known, is the code a country) is checked elsewhere.
"""

from __future__ import annotations

#: a material id, or a group id where either may be named: a letter, then letters, digits or _ (any case on input)
MATERIAL_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
#: the same, with surrounding spaces allowed (the domain model strips and lower-cases them)
MATERIAL_ID_PADDED_PATTERN = r"^\s*[A-Za-z][A-Za-z0-9_]{0,63}\s*$"
#: a group id as stored on a material profile (lower case)
GROUP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
#: an ISO 3166-1 alpha-2 country code, or EU as an importer (any case on input)
COUNTRY_CODE_PATTERN = r"^[A-Za-z]{2}$"
#: a policy signal id (feeds use ids such as cn-mofcom-2023:39)
SIGNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"
SIGNAL_ID_MAX_LENGTH = 100
#: a tenant's own id for one of its portfolios
PORTFOLIO_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
PORTFOLIO_ID_MAX_LENGTH = 100
#: a bulk load's id (it becomes part of the run id load-<id>)
LOAD_ID_PATTERN = r"^[A-Za-z0-9]{1,35}$"
#: a rescoring run id: <kind>-<token> (nightly-20260301T0200, manual-<hex>, load-<load id>); shared/services/runs.py
RUN_ID_PATTERN = r"^[a-z]+-[A-Za-z0-9]{1,40}$"

#: a draft signal's id: 16 hex digits of the paste's digest and its number in the paste (shared/services/drafts.py)
DRAFT_ID_PATTERN = r"^[0-9a-f]{16}-[0-9]{1,2}$"
#: a tenant's own id for one of its alert subscriptions (the portfolio id's shape)
SUBSCRIPTION_ID_PATTERN = PORTFOLIO_ID_PATTERN
SUBSCRIPTION_ID_MAX_LENGTH = PORTFOLIO_ID_MAX_LENGTH
