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

if TYPE_CHECKING:  # the public names, each imported on first use (past/lazy.py)
    from past.tools.agent import (
        AgentConfig as AgentConfig,
    )
    from past.tools.agent import (
        AgentStep as AgentStep,
    )
    from past.tools.agent import (
        Trajectory as Trajectory,
    )
    from past.tools.agent import (
        run_agents as run_agents,
    )
    from past.tools.agent import (
        trajectory_messages as trajectory_messages,
    )
    from past.tools.docs_data import (
        DOC_TASKS as DOC_TASKS,
    )
    from past.tools.docs_data import (
        DocsDataConfig as DocsDataConfig,
    )
    from past.tools.docs_data import (
        docs_sft_records as docs_sft_records,
    )
    from past.tools.evaluation import (
        METRICS as METRICS,
    )
    from past.tools.evaluation import (
        ToolEvalRun as ToolEvalRun,
    )
    from past.tools.evaluation import (
        ToolEvalSummary as ToolEvalSummary,
    )
    from past.tools.evaluation import (
        evaluate_policy as evaluate_policy,
    )
    from past.tools.evaluation import (
        evaluation_record as evaluation_record,
    )
    from past.tools.evaluation import (
        metric_estimate as metric_estimate,
    )
    from past.tools.evaluation import (
        summarise as summarise,
    )
    from past.tools.format_data import (
        first_step_records as first_step_records,
    )
    from past.tools.format_data import (
        synthetic_first_step_records as synthetic_first_step_records,
    )
    from past.tools.ingest import (
        ToolIngestResult as ToolIngestResult,
    )
    from past.tools.ingest import (
        ingest_tool_bytes as ingest_tool_bytes,
    )
    from past.tools.ingest import (
        ingest_tool_files as ingest_tool_files,
    )
    from past.tools.ingest import (
        ingest_tool_json as ingest_tool_json,
    )
    from past.tools.queries import (
        STABLETOOLBENCH_DIR as STABLETOOLBENCH_DIR,
    )
    from past.tools.queries import (
        CategorySplit as CategorySplit,
    )
    from past.tools.queries import (
        ToolQuery as ToolQuery,
    )
    from past.tools.queries import (
        load_stabletoolbench as load_stabletoolbench,
    )
    from past.tools.queries import (
        sample_per_category as sample_per_category,
    )
    from past.tools.react import parse_reply as parse_reply
    from past.tools.react import system_prompt as system_prompt
    from past.tools.reward import (
        RewardBreakdown as RewardBreakdown,
    )
    from past.tools.reward import (
        RewardWeights as RewardWeights,
    )
    from past.tools.reward import (
        score_trajectory as score_trajectory,
    )
    from past.tools.schema import (
        ApiParam as ApiParam,
    )
    from past.tools.schema import (
        ApiSpec as ApiSpec,
    )
    from past.tools.schema import (
        SchemaIssue as SchemaIssue,
    )
    from past.tools.schema import (
        ToolSchemaError as ToolSchemaError,
    )
    from past.tools.schema import (
        function_name as function_name,
    )
    from past.tools.simulator import ApiSimulator as ApiSimulator
    from past.tools.simulator import CallResult as CallResult

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals())
