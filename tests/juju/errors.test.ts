import { describe, expect, it } from "vitest";
import {
  HookToolError,
  JujuError,
  NotFoundError,
  NotLeaderError,
  PermissionDeniedError,
  RelationNotFoundError,
  ToolUsageError,
  toolError,
} from "../../lib/juju/errors.js";

type Row = {
  readonly what: string;
  readonly stderr: string;
  readonly code: number;
  readonly cls: typeof HookToolError;
  readonly message: string;
};

const ROWS: readonly Row[] = [
  // Leadership.
  {
    what: "non-leader secret-add",
    stderr: "ERROR this unit is not the leader\n",
    code: 1,
    cls: NotLeaderError,
    message: "this unit is not the leader",
  },
  {
    what: "non-leader status-get --application",
    stderr: "ERROR finding application status: this unit is not the leader\n",
    code: 1,
    cls: NotLeaderError,
    message: "finding application status: this unit is not the leader",
  },
  {
    what: "non-leader relation-set --app",
    stderr: "ERROR cannot write relation settings\n",
    code: 1,
    cls: NotLeaderError,
    message: "cannot write relation settings",
  },
  // Relations.
  {
    what: "relation not found at run time",
    stderr: 'ERROR invalid value "db:99" for option -r: relation not found\n',
    code: 1,
    cls: RelationNotFoundError,
    message: 'invalid value "db:99" for option -r: relation not found',
  },
  {
    what: "relation ... not found",
    stderr: 'ERROR relation "db:3" not found\n',
    code: 1,
    cls: RelationNotFoundError,
    message: 'relation "db:3" not found',
  },
  {
    what: "relation not found as Juju really reports it (flag value, exit 2): a run-time fact, not a usage bug",
    stderr: 'ERROR invalid value "db:99" for option -r: relation not found\n',
    code: 2,
    cls: RelationNotFoundError,
    message: 'invalid value "db:99" for option -r: relation not found',
  },
  // Not found.
  {
    what: "unknown secret (secret-get)",
    stderr: 'ERROR secret "secret:d0ckd6lqpfes73dbtd0g" not found\n',
    code: 1,
    cls: NotFoundError,
    message: 'secret "secret:d0ckd6lqpfes73dbtd0g" not found',
  },
  {
    what: "missing resource",
    stderr: "ERROR could not download resource: HTTP request failed: resource#app/blob not found\n",
    code: 1,
    cls: NotFoundError,
    message: "could not download resource: HTTP request failed: resource#app/blob not found",
  },
  {
    what: "state-get --strict",
    stderr: 'ERROR "five" not found\n',
    code: 1,
    cls: NotFoundError,
    message: '"five" not found',
  },
  // Permission.
  {
    what: "ungranted secret / own app bag as non-leader",
    stderr: "ERROR permission denied\n",
    code: 1,
    cls: PermissionDeniedError,
    message: "permission denied",
  },
  {
    what: "unit bag outside the relation (mentions a relation, but not 'not found')",
    stderr: 'ERROR cannot read settings for unit "x/0" in relation "db:0": permission denied\n',
    code: 1,
    cls: PermissionDeniedError,
    message: 'cannot read settings for unit "x/0" in relation "db:0": permission denied',
  },
  {
    what: "matching ignores case",
    stderr: "ERROR Permission Denied\n",
    code: 1,
    cls: PermissionDeniedError,
    message: "Permission Denied",
  },
  // Anything else.
  {
    what: "action tool outside an action",
    stderr: "ERROR not running an action\n",
    code: 1,
    cls: HookToolError,
    message: "not running an action",
  },
  {
    what: "unknown network binding (Juju says 'no network config found')",
    stderr: 'ERROR no network config found for binding "nope"\n',
    code: 1,
    cls: NotFoundError,
    message: 'no network config found for binding "nope"',
  },
  // Exit 2: usage errors, whatever the text says.
  {
    what: "bogus flag",
    stderr: "ERROR option provided but not defined: --bogus\n",
    code: 2,
    cls: ToolUsageError,
    message: "option provided but not defined: --bogus",
  },
  {
    what: "exit 2 wins over a leadership text",
    stderr: "ERROR this unit is not the leader\n",
    code: 2,
    cls: ToolUsageError,
    message: "this unit is not the leader",
  },
  {
    what: "exit 2 wins over a permission text",
    stderr: "ERROR permission denied\n",
    code: 2,
    cls: ToolUsageError,
    message: "permission denied",
  },
  // Which line is the message.
  {
    what: "the last ERROR line wins",
    stderr: 'ERROR permission denied\nwarning: retrying\nERROR secret "x" not found\nsome trailing noise\n',
    code: 1,
    cls: NotFoundError,
    message: 'secret "x" not found',
  },
  {
    what: "an earlier ERROR line does not decide the type",
    stderr: 'ERROR secret "x" not found\nERROR permission denied\n',
    code: 1,
    cls: PermissionDeniedError,
    message: "permission denied",
  },
  {
    what: "CRLF and padding are trimmed",
    stderr: "ERROR   this unit is not the leader  \r\n",
    code: 1,
    cls: NotLeaderError,
    message: "this unit is not the leader",
  },
  {
    what: "no ERROR prefix: all non-blank lines, joined",
    stderr: "something broke\n\n  badly: permission denied\n",
    code: 1,
    cls: PermissionDeniedError,
    message: "something broke   badly: permission denied",
  },
  {
    what: "no ERROR prefix and no known text",
    stderr: "panic: runtime error\n",
    code: 3,
    cls: HookToolError,
    message: "panic: runtime error",
  },
  {
    what: "empty stderr",
    stderr: "",
    code: 1,
    cls: HookToolError,
    message: "secret-get exited with code 1",
  },
  {
    what: "blank stderr, exit 2",
    stderr: "\n  \n",
    code: 2,
    cls: ToolUsageError,
    message: "secret-get exited with code 2",
  },
  {
    what: "'ERROR' without a message is no prefix",
    stderr: "ERROR\n",
    code: 1,
    cls: HookToolError,
    message: "ERROR",
  },
  // Precedence among the texts: leader, relation, not found, permission.
  {
    what: "leadership beats not found",
    stderr: "ERROR this unit is not the leader: secret not found\n",
    code: 1,
    cls: NotLeaderError,
    message: "this unit is not the leader: secret not found",
  },
  {
    what: "not found beats permission denied",
    stderr: "ERROR permission denied: key not found\n",
    code: 1,
    cls: NotFoundError,
    message: "permission denied: key not found",
  },
];

describe("toolError", () => {
  it.each(ROWS)("$what → $cls.name", ({ stderr, code, cls, message }) => {
    const err = toolError("secret-get", stderr, code);
    expect(err.constructor).toBe(cls);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).toBeInstanceOf(JujuError);
    expect(err).toBeInstanceOf(Error);
    expect({ name: err.name, tool: err.tool, message: err.message, exitCode: err.exitCode }).toEqual({
      name: cls.name,
      tool: "secret-get",
      message,
      exitCode: code,
    });
  });

  it("RelationNotFoundError is a NotFoundError, so one catch handles both", () => {
    const err = toolError("relation-get", "ERROR relation not found\n", 1);
    expect(err).toBeInstanceOf(RelationNotFoundError);
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it("each class has its own name, and the hierarchy is what callers rely on", () => {
    const make = (cls: typeof HookToolError) => new cls("t", "m", 1);
    expect(
      [
        HookToolError,
        NotFoundError,
        PermissionDeniedError,
        NotLeaderError,
        RelationNotFoundError,
        ToolUsageError,
      ].map((cls) => make(cls).name),
    ).toEqual([
      "HookToolError",
      "NotFoundError",
      "PermissionDeniedError",
      "NotLeaderError",
      "RelationNotFoundError",
      "ToolUsageError",
    ]);
    expect(make(PermissionDeniedError)).not.toBeInstanceOf(NotFoundError);
    expect(make(NotLeaderError)).not.toBeInstanceOf(PermissionDeniedError);
    expect(make(ToolUsageError)).not.toBeInstanceOf(NotFoundError);
  });
});
