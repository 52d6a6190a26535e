// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "./config_issue.ts";

/** An issue as one line: `path: message`, or the message alone at `""`. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
}
