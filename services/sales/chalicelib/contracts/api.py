"""Contract routes: thin; the rules live in logic.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.contracts import logic, repository
from chalicelib.contracts.schemas import (
    ContractCreate,
    ContractFields,
    ContractOut,
    ContractPage,
    ContractSettings,
    End,
    Renew,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, WRITERS
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "contracts")
FILTERS = ("company_id", "owner_id", "status")


def shown(record: dict[str, object], status: int | None = None) -> Reply:
    return Reply(ContractOut(**record), status=status,  # type: ignore[arg-type]
                 headers={"ETag": etag(int(record["version"])),  # type: ignore[call-overload]
                          "Location": f"/contracts/{record['contract_id']}"})


@api.route("/contracts", "POST", roles=WRITERS, body=ContractCreate, response=ContractOut,
           status=201)
def create_contract(req: ApiRequest) -> Reply:
    """A contract; the owner defaults to the caller; end before start is a 422 (end_date)."""
    return shown(logic.create(req.principal, req.tenant_id,
                              req.body.model_dump(mode="json", exclude_none=True)))


@api.route("/contracts", "GET", roles=ALL_ROLES, response=ContractPage)
def list_contracts(req: ApiRequest) -> ContractPage:
    """Soonest end first; filter by one of company_id, owner_id or status."""
    sent = {k: req.query[k] for k in FILTERS if req.query.get(k)}
    if len(sent) > 1:
        raise BadRequest.for_field(sorted(sent)[1], "filter by one field at a time")
    field, value = next(iter(sent.items()), (None, None))
    items, cursor = repository.list_records(req.tenant_id, field, value,
                                            parse_limit(req.query.get("limit")),
                                            req.query.get("cursor"))
    return ContractPage(items=[ContractOut(**logic.record(i)) for i in items],  # type: ignore[arg-type]
                        next_cursor=cursor)


@api.route("/contracts/settings", "GET", roles=ALL_ROLES, response=ContractSettings)
def get_contract_settings(req: ApiRequest) -> ContractSettings:
    return ContractSettings(**logic.settings(req.tenant_id))


@api.route("/contracts/settings", "PUT", roles=ADMINS, body=ContractSettings,
           response=ContractSettings)
def put_contract_settings(req: ApiRequest) -> ContractSettings:
    """`notice_days`: when ContractExpiring is announced before each contract's end."""
    return ContractSettings(**logic.put_settings(req.tenant_id, req.body.model_dump()))


@api.route("/contracts/{contract_id}", "GET", roles=ALL_ROLES, response=ContractOut)
def get_contract(req: ApiRequest, contract_id: str) -> Reply:
    return shown(logic.record(logic.get(req.tenant_id, contract_id)))


@api.route("/contracts/{contract_id}", "PATCH", roles=WRITERS, body=ContractFields,
           response=ContractOut)
def update_contract(req: ApiRequest, contract_id: str) -> Reply:
    return shown(logic.update(req.tenant_id, contract_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route("/contracts/{contract_id}/renew", "POST", roles=WRITERS, body=Renew,
           response=ContractOut, status=201)
def renew_contract(req: ApiRequest, contract_id: str) -> Reply:
    """The next term as a new contract (ContractRenewed); this one becomes `renewed`."""
    return shown(logic.renew(req.tenant_id, contract_id,
                             req.body.model_dump(mode="json", exclude_none=True)), 201)


@api.route("/contracts/{contract_id}/end", "POST", roles=WRITERS, body=End,
           response=ContractOut)
def end_contract(req: ApiRequest, contract_id: str) -> Reply:
    """End a draft or active contract now (ContractEnded)."""
    return shown(logic.end(req.tenant_id, contract_id, req.body.reason))
