/** The engine's public surface: compile models, decide commands, fold events. No I/O, no clock. */
export { compileBpmn } from './model/compile.js';
export type { ApproverStrategy, CompiledProcess, CompileResult, FlowNode, Problem } from './model/types.js';
export { decide, newInstanceState, type Command, type Decision } from './commands/decide.js';
export type { CommandContext, EngineServices } from './commands/context.js';
export { apply } from './state/apply.js';
export { findCatch, visibleVariables } from './commands/runner.js';
export type { EngineEvent, EngineEventType } from './state/events.js';
export * from './state/types.js';
export { fail, isFailure, type Failure, type FailureCode } from './errors/engine-error.js';
export { evaluateFeel, isFeel } from './expressions/feel.js';
