import { ConfigError, type Env, loadConfig } from "../../src/config.ts";

/** Every problem loadConfig reports for these settings; empty when it accepts them. */
export function configProblems(env: Env, cwd?: string): string[] {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
