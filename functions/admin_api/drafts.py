"""Draft signals from a pasted article (scope risk/admin; the tenant is the admin client): create, list, fetch,
publish (issue 19). A draft changes no score until it is published as a signal."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_repository
from shared.config import get_settings
from shared.http import build_router, caller_of
from shared.observability import logger, metrics
from shared.params import Cursor, DraftIdPath
from shared.schemas import SignalResponse
from shared.schemas_drafts import (
    DraftCreateRequest,
    DraftCreateResponse,
    DraftListResponse,
    DraftPublishRequest,
    DraftPublishResponse,
    DraftResponse,
)
from shared.services import drafts

router = build_router()


@router.post(
    "/v1/signal-drafts",
    summary="Draft signals from a pasted article, each field with its evidence (nothing is scored until published)",
    tags=["signal drafts"],
    status_code=HTTPStatus.CREATED,
)
def create_drafts(request: Annotated[DraftCreateRequest, Body()]) -> Response[DraftCreateResponse]:
    now = datetime.now(UTC).replace(microsecond=0)
    created = drafts.create_drafts(
        get_repository(),
        caller_of(router).client_id,
        request.text,
        request.published,
        request.url,
        now,
        get_settings().scored_importer_codes,
    )
    logger.info("signal drafts made", drafts=len(created), chars=len(request.text))
    metrics.add_metric(name="SignalDraftsMade", unit=MetricUnit.Count, value=len(created))
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=DraftCreateResponse.of(created),
    )


@router.get("/v1/signal-drafts", summary="Your signal drafts, by id", tags=["signal drafts"])
def list_drafts(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 25, cursor: Cursor = None
) -> DraftListResponse:
    return DraftListResponse.of(drafts.list_drafts(get_repository(), caller_of(router).client_id, limit, cursor))


@router.get("/v1/signal-drafts/<draft_id>", summary="One signal draft", tags=["signal drafts"])
def get_draft(draft_id: DraftIdPath) -> DraftResponse:
    return DraftResponse.of(drafts.get_draft(get_repository(), caller_of(router).client_id, draft_id))


@router.post(
    "/v1/signal-drafts/<draft_id>/publish",
    summary="Publish a draft as a signal (validated as PUT /v1/signals/{signal_id}; the draft's URL is its source)",
    tags=["signal drafts"],
    responses={
        200: {
            "description": "The duplicate signal the draft matched was updated",
            "content": {"application/json": {"model": DraftPublishResponse}},
        },
        201: {
            "description": "A new signal was created",
            "content": {"application/json": {"model": DraftPublishResponse}},
        },
    },
)
def publish_draft(
    draft_id: DraftIdPath, request: Annotated[DraftPublishRequest, Body()]
) -> Response[DraftPublishResponse]:
    logger.append_keys(draft_id=draft_id)
    result = drafts.publish_draft(
        get_repository(),
        caller_of(router).client_id,
        draft_id,
        request.signal_id,
        request.fields.model_dump(exclude_unset=True),
    )
    metrics.add_metric(name="SignalDraftPublished", unit=MetricUnit.Count, value=1)
    body = DraftPublishResponse(
        draft=DraftResponse.of(result.draft),
        signal=SignalResponse.of(result.signal.item),
        created=result.signal.created,
    )
    return Response(
        status_code=HTTPStatus.CREATED if result.signal.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Location": f"/v1/signals/{result.signal.item.id}"},
    )
