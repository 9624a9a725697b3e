"""The server's tables. Every change to them is an Alembic migration (server/migrations)."""

from server.models.attachments import Attachment
from server.models.bundles import BundleImport, DeviceKey, HubLink, HubUpload, RelayDevice
from server.models.devices import Device, EnrolmentCode
from server.models.forms import FormVersion
from server.models.indicators import (
    FactsWatermark,
    HouseholdFacts,
    SettlementFacts,
    StructureFacts,
)
from server.models.records import Conflict, FieldParent, FieldVersion, Record
from server.models.review import Review
from server.models.sync import Op, ServerSeq

__all__ = [
    "Attachment",
    "BundleImport",
    "Conflict",
    "Device",
    "DeviceKey",
    "EnrolmentCode",
    "FactsWatermark",
    "FieldParent",
    "FieldVersion",
    "FormVersion",
    "HouseholdFacts",
    "HubLink",
    "HubUpload",
    "Op",
    "Record",
    "RelayDevice",
    "Review",
    "ServerSeq",
    "SettlementFacts",
    "StructureFacts",
]
