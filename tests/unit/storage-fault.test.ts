import { describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { storageFaultOf } from "../../src/store/storage-fault.ts";

/** An error shaped like Node's system errors (errno code, syscall, sometimes a path). */
function systemError(code: string, syscall: string, path?: string): Error {
  return Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(path ? { path } : {}) });
}

describe("storageFaultOf", () => {
  it("finds a full disk behind the store's own error, from SQLite or from Node", () => {
    const sqlite = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    expect(storageFaultOf(new FatalError("store-unusable", "Cannot append", sqlite))).toBe("full");
    expect(storageFaultOf(systemError("ENOSPC", "write"))).toBe("full");
  });

  it("reads SQLite's extended codes by their primary code", () => {
    const moved = Object.assign(new Error("readonly"), { code: "SQLITE_READONLY_DBMOVED" });
    expect(storageFaultOf(moved)).toBe("read-only");
    expect(storageFaultOf(systemError("EROFS", "open", "/data/bot.sqlite"))).toBe("read-only");
  });

  it("counts a permission error only from a file operation, not from a socket", () => {
    expect(storageFaultOf(systemError("EACCES", "open", "/data/x"))).toBe("no-permission");
    expect(storageFaultOf(systemError("EACCES", "connect"))).toBeNull();
  });

  it("leaves anything else alone", () => {
    expect(storageFaultOf(new Error("boom"))).toBeNull();
    expect(storageFaultOf(Object.assign(new Error("io"), { code: "ENOSPC" }))).toBeNull();
    expect(storageFaultOf("ENOSPC")).toBeNull();
  });
});
