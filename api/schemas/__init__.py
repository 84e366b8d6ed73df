"""Request and response bodies of the HTTP API (never domain objects).

Bodies are derived from the commands they carry (api/schemas/common.py); the
results of commands are represented as application/present.py says, the
same over REST, `POST /v1/commands` and Kafka. Every public name is
re-exported here, so `from api.schemas import X` is the way to import them."""

from api.schemas.common import Body
from api.schemas.keys import CreateKeyBody, KeyListed, KeyOut, KeysOut
from api.schemas.members import (
    AcceptBody,
    AddMemberBody,
    InvitationsOut,
    InviteBody,
    MembersOut,
    ResendBody,
    UpdateMemberBody,
)
from api.schemas.orders import OrderBody, OrdersOut, RejectBody
from api.schemas.reports import ActiveUsersOut, ReportMember
from api.schemas.seats import (
    AssignmentBody,
    Holder,
    HoldersOut,
    SeatLimitBody,
    UsageOut,
)
from api.schemas.tenants import (
    CreateTenantBody,
    LicenseBody,
    TreeNode,
    TreeOut,
    TreePool,
    UpdateTenantBody,
)
from application.present import (
    InvitationOut,
    MemberOut,
    OrderOut,
    PoolOut,
    TenantOut,
)

__all__ = [
    "AcceptBody",
    "ActiveUsersOut",
    "AddMemberBody",
    "AssignmentBody",
    "Body",
    "CreateKeyBody",
    "CreateTenantBody",
    "Holder",
    "HoldersOut",
    "InvitationOut",
    "InvitationsOut",
    "InviteBody",
    "KeyListed",
    "KeyOut",
    "KeysOut",
    "LicenseBody",
    "MemberOut",
    "MembersOut",
    "OrderBody",
    "OrderOut",
    "OrdersOut",
    "PoolOut",
    "RejectBody",
    "ReportMember",
    "ResendBody",
    "SeatLimitBody",
    "TenantOut",
    "TreeNode",
    "TreeOut",
    "TreePool",
    "UpdateMemberBody",
    "UpdateTenantBody",
    "UsageOut",
]
