import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkMetadata, checkReadmeLinks, checkSiblingRanges, markdownLinks } from "./package-checks.mjs";

const metadata = {
  repository: {
    type: "git",
    url: "git+https://github.com/sched/sched.git",
    directory: "packages/store-redis",
  },
  homepage: "https://github.com/sched/sched/tree/main/packages/store-redis#readme",
  bugs: { url: "https://github.com/sched/sched/issues" },
};

describe("checkMetadata", () => {
  it("accepts a package that names its repository directory, homepage and issue tracker", () => {
    assert.deepEqual(checkMetadata(metadata, "store-redis"), []);
    assert.deepEqual(
      checkMetadata({ ...metadata, bugs: "https://github.com/sched/sched/issues" }, "store-redis"),
      [],
    );
  });

  it("reports each missing or wrong field", () => {
    const problems = checkMetadata({ homepage: metadata.homepage }, "store-redis");
    assert.equal(problems.length, 2);
    assert.match(problems[0], /"repository" must be/);
    assert.match(problems[1], /"bugs" must be/);
  });

  it("reports a repository directory of another package", () => {
    const problems = checkMetadata(metadata, "store-postgres");
    assert.equal(problems.length, 2);
    assert.match(problems[0], /packages\/store-postgres/);
    assert.match(problems[1], /"homepage" must be/);
  });
});

describe("checkSiblingRanges", () => {
  const versions = new Map([
    ["@sched/core", "0.3.1"],
    ["@sched/testing", "1.2.0"],
  ]);

  it("accepts ranges that take the current version and the next minor", () => {
    const pkg = {
      peerDependencies: { "@sched/core": ">=0.0.0 <1", pg: "^8.11.0" },
      dependencies: { "@sched/testing": "^1.0.0" },
    };
    assert.deepEqual(checkSiblingRanges(pkg, versions), []);
  });

  it("rejects a caret range on a 0.x sibling, which admits no next minor", () => {
    const problems = checkSiblingRanges({ peerDependencies: { "@sched/core": "^0.3.1" } }, versions);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /does not accept @sched\/core@0\.4\.0/);
  });

  it("rejects a range that the current version misses, such as ^0.0.0 packed from workspace:^", () => {
    const problems = checkSiblingRanges({ peerDependencies: { "@sched/core": "^0.0.0" } }, versions);
    assert.equal(problems.length, 2);
  });

  it("rejects a workspace: range left in the packed manifest", () => {
    const problems = checkSiblingRanges({ peerDependencies: { "@sched/core": "workspace:^" } }, versions);
    assert.match(problems[0], /not a semver range/);
  });
});

describe("markdownLinks", () => {
  it("finds inline links, images, reference definitions and href attributes, outside code", () => {
    const text = [
      "See [core](../core) and ![logo](img/logo.png 'Logo').",
      "```ts",
      'import x from "[not](a-link)";',
      "```",
      'Inline `[code](not-a-link)` is skipped; <a href="docs/a.md">a</a>.',
      "[ref]: <https://example.com/x>",
    ].join("\n");
    assert.deepEqual(markdownLinks(text), [
      { target: "../core", line: 1 },
      { target: "img/logo.png", line: 1 },
      { target: "docs/a.md", line: 5 },
      { target: "https://example.com/x", line: 6 },
    ]);
  });
});

describe("checkReadmeLinks", () => {
  const where = {
    dir: "store-redis",
    files: ["README.md", "package.json", "dist/index.js", "scripts/claimDueJobs.lua"],
    repoPaths: [
      "README.md",
      "examples/with-redis/src/main.ts",
      "docs/architecture.md",
      "packages/store-redis/src/keys.ts",
      "packages/store-redis/scripts/claimDueJobs.lua",
    ],
  };

  it("accepts links to shipped files and directories, anchors, and other sites", () => {
    const readme =
      "[claim](scripts/claimDueJobs.lua) [scripts](./scripts/) [top](#options) [npm](https://www.npmjs.com/)";
    assert.deepEqual(checkReadmeLinks(readme, where), []);
  });

  it("accepts absolute links to directories and files of the repository", () => {
    const readme =
      "[ex](https://github.com/sched/sched/tree/main/examples/with-redis) " +
      "[arch](https://github.com/sched/sched/blob/main/docs/architecture.md#4-many-instances)";
    assert.deepEqual(checkReadmeLinks(readme, where), []);
  });

  it("rejects a relative link that leaves the package, naming the absolute link to use", () => {
    const problems = checkReadmeLinks("[ex](../../examples/with-redis)\n[top](../../README.md)", where);
    assert.deepEqual(problems, [
      "line 1: ../../examples/with-redis leaves the package, so it breaks on npm; link to https://github.com/sched/sched/tree/main/examples/with-redis",
      "line 2: ../../README.md leaves the package, so it breaks on npm; link to https://github.com/sched/sched/blob/main/README.md",
    ]);
  });

  it("rejects a relative link to a file of the package that the tarball does not ship", () => {
    const problems = checkReadmeLinks("[keys](src/keys.ts)", where);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /src\/keys\.ts is not in the package's tarball/);
    assert.match(problems[0], /blob\/main\/packages\/store-redis\/src\/keys\.ts/);
  });

  it("rejects an absolute link to a path the repository does not have, or of the wrong kind", () => {
    const problems = checkReadmeLinks(
      "[a](https://github.com/sched/sched/tree/main/examples/nowhere) " +
        "[b](https://github.com/sched/sched/tree/main/docs/architecture.md) " +
        "[c](https://github.com/sched/sched/blob/main/examples/with-redis)",
      where,
    );
    assert.equal(problems.length, 3);
  });
});
