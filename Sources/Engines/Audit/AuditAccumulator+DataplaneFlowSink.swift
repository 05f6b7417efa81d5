public import NodeState

extension AuditAccumulator: DataplaneFlowSink {}
