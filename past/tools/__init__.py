"""Closed-book tool use (the paper's ToolBench regime): API documents, SFT data, the ReAct agent, the simulated
API environment, the composite reward and tool-use evaluation.

* :mod:`~past.tools.schema`, :mod:`~past.tools.ingest` — API documents → :class:`ApiSpec` (strict, per-API issues);
* :mod:`~past.tools.docs_data`, :mod:`~past.tools.format_data` — SFT data (docs, bidirectional QA, ReAct format);
* :mod:`~past.tools.react`, :mod:`~past.tools.agent` — the convention and the agent loop (every step recorded);
* :mod:`~past.tools.simulator` — the simulated APIs (LLM or schema-based, cached by call);
* :mod:`~past.tools.reward`, :mod:`~past.tools.evaluation` — composite reward, pass/valid-call rates with CIs;
* :mod:`~past.tools.queries` — StableToolBench queries and the source/target category split.

The public names are imported on first use (:mod:`past.lazy`): a light submodule such as
:mod:`~past.tools.format_data` loads without the agent, the evaluator and numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from past.lazy import lazy_exports

_WHERE = {  # public name -> the module that defines it, imported on first use
    "AgentConfig": "agent",
    "AgentStep": "agent",
    "Trajectory": "agent",
    "run_agents": "agent",
    "trajectory_messages": "agent",
    "DOC_TASKS": "docs_data",
    "DocsDataConfig": "docs_data",
    "docs_sft_records": "docs_data",
    "METRICS": "evaluation",
    "ToolEvalRun": "evaluation",
    "ToolEvalSummary": "evaluation",
    "evaluate_policy": "evaluation",
    "evaluation_record": "evaluation",
    "metric_estimate": "evaluation",
    "summarise": "evaluation",
    "first_step_records": "format_data",
    "synthetic_first_step_records": "format_data",
    "ToolIngestResult": "ingest",
    "ingest_tool_bytes": "ingest",
    "ingest_tool_files": "ingest",
    "ingest_tool_json": "ingest",
    "STABLETOOLBENCH_DIR": "queries",
    "CategorySplit": "queries",
    "ToolQuery": "queries",
    "load_stabletoolbench": "queries",
    "sample_per_category": "queries",
    "parse_reply": "react",
    "system_prompt": "react",
    "RewardBreakdown": "reward",
    "RewardWeights": "reward",
    "score_trajectory": "reward",
    "ApiParam": "schema",
    "ApiSpec": "schema",
    "SchemaIssue": "schema",
    "ToolSchemaError": "schema",
    "function_name": "schema",
    "ApiSimulator": "simulator",
    "CallResult": "simulator",
}
__all__ = [
    "DOC_TASKS",
    "METRICS",
    "STABLETOOLBENCH_DIR",
    "AgentConfig",
    "AgentStep",
    "ApiParam",
    "ApiSimulator",
    "ApiSpec",
    "CallResult",
    "CategorySplit",
    "DocsDataConfig",
    "RewardBreakdown",
    "RewardWeights",
    "SchemaIssue",
    "ToolEvalRun",
    "ToolEvalSummary",
    "ToolIngestResult",
    "ToolQuery",
    "ToolSchemaError",
    "Trajectory",
    "docs_sft_records",
    "evaluate_policy",
    "evaluation_record",
    "first_step_records",
    "function_name",
    "ingest_tool_bytes",
    "ingest_tool_files",
    "ingest_tool_json",
    "load_stabletoolbench",
    "metric_estimate",
    "parse_reply",
    "run_agents",
    "sample_per_category",
    "score_trajectory",
    "summarise",
    "synthetic_first_step_records",
    "system_prompt",
    "trajectory_messages",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from past.tools.agent import AgentConfig, AgentStep, Trajectory, run_agents, trajectory_messages
    from past.tools.docs_data import DOC_TASKS, DocsDataConfig, docs_sft_records
    from past.tools.evaluation import (
        METRICS,
        ToolEvalRun,
        ToolEvalSummary,
        evaluate_policy,
        evaluation_record,
        metric_estimate,
        summarise,
    )
    from past.tools.format_data import first_step_records, synthetic_first_step_records
    from past.tools.ingest import ToolIngestResult, ingest_tool_bytes, ingest_tool_files, ingest_tool_json
    from past.tools.queries import (
        STABLETOOLBENCH_DIR,
        CategorySplit,
        ToolQuery,
        load_stabletoolbench,
        sample_per_category,
    )
    from past.tools.react import parse_reply, system_prompt
    from past.tools.reward import RewardBreakdown, RewardWeights, score_trajectory
    from past.tools.schema import ApiParam, ApiSpec, SchemaIssue, ToolSchemaError, function_name
    from past.tools.simulator import ApiSimulator, CallResult
