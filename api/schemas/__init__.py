"""Request and response bodies of the HTTP API (never domain objects).

One module per resource; every public name is re-exported here, so
`from api.schemas import X` is the way to import them."""

from api.schemas.common import Body
from api.schemas.members import (
    AcceptBody,
    AddMemberBody,
    InvitationOut,
    InvitationsOut,
    InviteBody,
    MemberOut,
    MembersOut,
    ResendBody,
    UpdateMemberBody,
)
from api.schemas.orders import OrderBody, OrderOut, OrdersOut, RejectBody
from api.schemas.reports import ActiveUsersOut, ReportMember
from api.schemas.seats import (
    AssignmentBody,
    Holder,
    HoldersOut,
    PoolOut,
    SeatLimitBody,
    UsageOut,
)
from api.schemas.tenants import (
    CreateTenantBody,
    LicenseBody,
    TenantOut,
    TreeNode,
    TreeOut,
    TreePool,
    UpdateTenantBody,
)

__all__ = [
    "AcceptBody",
    "ActiveUsersOut",
    "AddMemberBody",
    "AssignmentBody",
    "Body",
    "CreateTenantBody",
    "Holder",
    "HoldersOut",
    "InvitationOut",
    "InvitationsOut",
    "InviteBody",
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
