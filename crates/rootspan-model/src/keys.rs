//! Semantic-convention attribute keys, as named constants, legacy names included.

// OTel GenAI, current (v1.37+).
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
pub const GEN_AI_TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// Tool schema on an `execute_tool` span (strands).
pub const GEN_AI_TOOL_JSON_SCHEMA: &str = "gen_ai.tool.json_schema";
/// The event (or log record) that carries a call's content in the current GenAI conventions.
pub const GEN_AI_INFERENCE_DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";
// OTel GenAI, v1.36 and older.
pub const GEN_AI_SYSTEM: &str = "gen_ai.system";
pub const GEN_AI_USAGE_PROMPT_TOKENS: &str = "gen_ai.usage.prompt_tokens";
pub const GEN_AI_USAGE_COMPLETION_TOKENS: &str = "gen_ai.usage.completion_tokens";
// OpenInference.
pub const OPENINFERENCE_SPAN_KIND: &str = "openinference.span.kind";
pub const LLM_MODEL_NAME: &str = "llm.model_name";
pub const LLM_PROVIDER: &str = "llm.provider";
pub const LLM_SYSTEM: &str = "llm.system";
pub const LLM_TOKEN_COUNT_PROMPT: &str = "llm.token_count.prompt";
pub const LLM_TOKEN_COUNT_COMPLETION: &str = "llm.token_count.completion";
pub const LLM_TOKEN_COUNT_CACHE_READ: &str = "llm.token_count.prompt_details.cache_read";
pub const LLM_INPUT_MESSAGES_PREFIX: &str = "llm.input_messages.";
pub const LLM_OUTPUT_MESSAGES_PREFIX: &str = "llm.output_messages.";
pub const LLM_TOOLS_PREFIX: &str = "llm.tools.";
pub const INPUT_VALUE: &str = "input.value";
pub const OUTPUT_VALUE: &str = "output.value";
pub const TOOL_NAME: &str = "tool.name";
pub const TOOL_PARAMETERS: &str = "tool.parameters";
pub const TOOL_CALL_ID: &str = "tool_call.id";
pub const SESSION_ID: &str = "session.id";
pub const USER_ID: &str = "user.id";
pub const AGENT_NAME: &str = "agent.name";
pub const GRAPH_NODE_ID: &str = "graph.node.id";
// OpenLLMetry / traceloop.
pub const TRACELOOP_SPAN_KIND: &str = "traceloop.span.kind";
pub const TRACELOOP_ENTITY_NAME: &str = "traceloop.entity.name";
pub const TRACELOOP_ENTITY_INPUT: &str = "traceloop.entity.input";
pub const TRACELOOP_ENTITY_OUTPUT: &str = "traceloop.entity.output";
pub const GEN_AI_PROMPT_PREFIX: &str = "gen_ai.prompt.";
pub const GEN_AI_COMPLETION_PREFIX: &str = "gen_ai.completion.";
/// Tool definitions of a chat call: `llm.request.functions.{i}.name / description / parameters`.
pub const LLM_REQUEST_FUNCTIONS_PREFIX: &str = "llm.request.functions.";
pub const LLM_USAGE_TOTAL_TOKENS: &str = "llm.usage.total_tokens";
// Vercel AI SDK.
pub const AI_SDK_OPERATION_ID: &str = "ai.operationId";
pub const AI_SDK_TOOL_CALL_NAME: &str = "ai.toolCall.name";
pub const AI_SDK_TOOL_CALL_ID: &str = "ai.toolCall.id";
pub const AI_SDK_TOOL_CALL_ARGS: &str = "ai.toolCall.args";
pub const AI_SDK_TOOL_CALL_RESULT: &str = "ai.toolCall.result";
pub const AI_SDK_PROMPT_MESSAGES: &str = "ai.prompt.messages";
pub const AI_SDK_RESPONSE_TEXT: &str = "ai.response.text";
pub const AI_SDK_RESPONSE_TOOL_CALLS: &str = "ai.response.toolCalls";
pub const AI_SDK_RESPONSE_FINISH_REASON: &str = "ai.response.finishReason";
// Google ADK (besides the GenAI names it also writes).
pub const ADK_TOOL_CALL_ARGS: &str = "gcp.vertex.agent.tool_call_args";
pub const ADK_TOOL_RESPONSE: &str = "gcp.vertex.agent.tool_response";
pub const ADK_LLM_REQUEST: &str = "gcp.vertex.agent.llm_request";
pub const ADK_LLM_RESPONSE: &str = "gcp.vertex.agent.llm_response";
// MLflow and Langfuse.
pub const MLFLOW_SPAN_TYPE: &str = "mlflow.spanType";
pub const MLFLOW_SPAN_INPUTS: &str = "mlflow.spanInputs";
pub const MLFLOW_SPAN_OUTPUTS: &str = "mlflow.spanOutputs";
pub const LANGFUSE_OBSERVATION_TYPE: &str = "langfuse.observation.type";
pub const LANGFUSE_INPUT: &str = "langfuse.observation.input";
pub const LANGFUSE_OUTPUT: &str = "langfuse.observation.output";
// pydantic-ai / Logfire.
pub const PYDANTIC_AI_ALL_MESSAGES: &str = "pydantic_ai.all_messages";
pub const FINAL_RESULT: &str = "final_result";
pub const AGENT_NAME_LOGFIRE: &str = "agent_name";
pub const OPERATION_COST: &str = "operation.cost";
pub const PYDANTIC_AI_RETRY_ATTEMPT: &str = "pydantic_ai.tool.retry.attempt";
pub const PYDANTIC_AI_RETRY_CAUSE: &str = "pydantic_ai.tool.retry.cause";
// General.
pub const ERROR_TYPE: &str = "error.type";
pub const EXCEPTION_TYPE: &str = "exception.type";
pub const EXCEPTION_MESSAGE: &str = "exception.message";
pub const SERVICE_NAME: &str = "service.name";
/// Resource or span attribute that names the project a trace belongs to.
pub const ROOTSPAN_PROJECT: &str = "rootspan.project";
