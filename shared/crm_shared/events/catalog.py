"""Every event the CRM publishes. JSON Schemas in `schemas/` are generated from these.

Adding a field is compatible; removing or retyping one needs a new `schema_version`.
Each service's events live in their own module, so a service imports only the events it
emits and consumes (every class costs cold-start time); this module gathers them all.
"""

from __future__ import annotations

from crm_shared.events.audit_events import FieldPermissionsChanged
from crm_shared.events.automation_events import (
    JourneyStartRequested,
    WebhookCallRequested,
    WorkflowActionCompleted,
    WorkflowActionFailed,
    WorkflowActionRequested,
)
from crm_shared.events.collaboration_events import UserMentioned
from crm_shared.events.commerce_events import (
    CartAbandoned,
    ContractEnded,
    ContractExpiring,
    ContractRenewed,
    OrderCancelled,
    OrderDelivered,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PointsChanged,
    TierChanged,
)
from crm_shared.events.contacts_events import (
    CompanyCreated,
    CompanyDeleted,
    CompanyMerged,
    CompanyUpdated,
    ConsentChanged,
    ContactCreated,
    ContactDeleted,
    ContactErased,
    ContactMerged,
    ContactUpdated,
    ImportCompleted,
    InteractionDeleted,
    InteractionLogged,
    InteractionUpdated,
    RelationshipCreated,
    RelationshipDeleted,
)
from crm_shared.events.envelope import Event
from crm_shared.events.marketing_events import (
    CampaignLaunched,
    FormSubmitted,
    JourneyCompleted,
    JourneyEntered,
    LinkClicked,
    MessageBounced,
    MessageDelivered,
    MessageOpened,
    MessageSent,
    Unsubscribed,
)
from crm_shared.events.platform_events import (
    ApiKeyCreated,
    ApiKeyRevoked,
    TeamChanged,
    TenantDeleted,
    TenantProvisioned,
    TenantPurged,
    TenantPurgeProgressed,
    UserInvited,
    UserUpdated,
)
from crm_shared.events.sales_events import (
    ApprovalDecided,
    ApprovalRequested,
    LeadAssigned,
    LeadConverted,
    LeadCreated,
    LeadDeleted,
    LeadScored,
    LeadUpdated,
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityImportCompleted,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
    TaskCompleted,
    TaskCreated,
    TaskDue,
)
from crm_shared.events.service_events import (
    ArticlePublished,
    ContactRequested,
    InboundEmailQuarantined,
    ReturnApproved,
    ReturnReceived,
    ReturnRefunded,
    ReturnRejected,
    ReturnReplaced,
    ReturnRequested,
    SlaBreached,
    SurveyResponded,
    SurveySent,
    TicketAssigned,
    TicketCommented,
    TicketCreated,
    TicketResolved,
    TicketSlaAtRisk,
    TicketStatusChanged,
    TicketUpdated,
)
from crm_shared.events.webhook_events import WebhookDeliveryRequested, WebhookDisabled

CATALOG: dict[str, type[Event]] = {
    cls.detail_type(): cls
    for cls in (
        TenantProvisioned, TenantDeleted, UserInvited, UserUpdated, TeamChanged,
        ApiKeyCreated, ApiKeyRevoked, TenantPurgeProgressed, TenantPurged,
        ContactCreated, ContactUpdated, ContactDeleted, ContactMerged, ContactErased,
        CompanyCreated, CompanyUpdated, CompanyDeleted, CompanyMerged,
        RelationshipCreated, RelationshipDeleted, InteractionLogged, ConsentChanged,
        ImportCompleted,
        InteractionUpdated, InteractionDeleted,
        LeadCreated, LeadUpdated, LeadAssigned, LeadScored, LeadConverted, LeadDeleted,
        OpportunityCreated, OpportunityUpdated, OpportunityStageChanged, OpportunityWon,
        OpportunityLost, OpportunityDeleted, TaskCreated, TaskDue, TaskCompleted,
        ApprovalRequested, ApprovalDecided,
        OpportunityImportCompleted,
        MessageOpened, LinkClicked, FormSubmitted,
        CampaignLaunched, MessageSent, MessageDelivered, MessageBounced, Unsubscribed,
        JourneyEntered, JourneyCompleted,
        TicketCreated, TicketUpdated, TicketAssigned, TicketStatusChanged, TicketResolved,
        TicketCommented, SlaBreached, TicketSlaAtRisk, SurveyResponded, ReturnRequested,
        ReturnApproved, ReturnRejected, ReturnReceived, ReturnRefunded, ReturnReplaced,
        ArticlePublished,
        SurveySent, InboundEmailQuarantined, ContactRequested,
        OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled, OrderRefunded,
        CartAbandoned, ContractExpiring, ContractRenewed, ContractEnded, TierChanged,
        PointsChanged,
        FieldPermissionsChanged,
        WorkflowActionRequested, WorkflowActionCompleted, WorkflowActionFailed,
        WebhookCallRequested, JourneyStartRequested,
        UserMentioned, WebhookDisabled, WebhookDeliveryRequested,
    )
}
