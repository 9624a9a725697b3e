"""The server's tables. Every change to them is an Alembic migration (server/migrations)."""

from server.models.accounts import (
    ApiToken,
    Assignment,
    AuditEvent,
    DeviceAccount,
    DeviceRescan,
    EnrolmentCodeAccount,
    Federation,
    RecordScope,
    Settlement,
    User,
)
from server.models.attachments import Attachment
from server.models.bundles import BundleImport, DeviceKey, HubLink, HubUpload, RelayDevice
from server.models.devices import Device, EnrolmentCode, EnrolmentFailure
from server.models.forms import FormVersion
from server.models.indicators import (
    FactsWatermark,
    HouseholdFacts,
    SettlementFacts,
    StructureFacts,
)
from server.models.openrosa import CollectLogin, SubmissionInstance
from server.models.record_values import RecordValue, RecordValueColumn
from server.models.records import Conflict, FieldParent, Record
from server.models.review import Review
from server.models.sync import Op, OpRefusal, ServerSeq

__all__ = [
    "ApiToken",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "BundleImport",
    "CollectLogin",
    "Conflict",
    "Device",
    "DeviceAccount",
    "DeviceKey",
    "DeviceRescan",
    "EnrolmentCode",
    "EnrolmentCodeAccount",
    "EnrolmentFailure",
    "FactsWatermark",
    "Federation",
    "FieldParent",
    "FormVersion",
    "HouseholdFacts",
    "HubLink",
    "HubUpload",
    "Op",
    "OpRefusal",
    "Record",
    "RecordScope",
    "RecordValue",
    "RecordValueColumn",
    "RelayDevice",
    "Review",
    "ServerSeq",
    "Settlement",
    "SettlementFacts",
    "StructureFacts",
    "SubmissionInstance",
    "User",
]
