/**
 * Machine-readable error codes. The Worker maps each to an HTTP status in
 * one place (`worker/src/http/on-error.ts`); nothing else picks statuses.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "invalid_event_batch"
  | "invalid_item"
  | "invalid_manifest"
  | "checksum_mismatch"
  | "unauthorized"
  | "invalid_api_key"
  | "token_required"
  | "invalid_token"
  | "forbidden"
  | "origin_not_allowed"
  | "method_not_allowed"
  | "rate_limited"
  | "not_found"
  | "item_not_found"
  | "index_not_published"
  | "version_conflict"
  | "index_incomplete"
  | "payload_too_large"
  | "unsupported_media_type"
  | "dependency_unavailable"
  | "invalid_experiment"
  | "invalid_allocation"
  | "unknown_index_version"
  | "unknown_knob"
  | "overlapping_experiment"
  | "invalid_holdout"
  | "invalid_history"
  | "experiment_conflict"
  | "internal";

/** The one error type of the project: a code, a message for people, optional details. */
export class AppError extends Error {
  override readonly name = "AppError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
