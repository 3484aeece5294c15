// What a published package must look like once packed, checked by pack-check.mjs on each tarball:
// its package.json names the repository, homepage and issue tracker; its ranges on @sched/*
// siblings accept the sibling's current version and the next minor; and its README links only
// to files the tarball ships, or to the repository by absolute URL (npm shows the README on its
// own site, where a relative link such as `../../examples/basic` leads nowhere).
import { posix } from "node:path";
import semver from "semver";

/** The repository's web address; absolute links in package READMEs start with it. */
export const REPOSITORY = "https://github.com/sched/sched";
const REPOSITORY_URL = "git+https://github.com/sched/sched.git";
const REPOSITORY_LINK = /^https:\/\/github\.com\/sched\/sched\/(tree|blob)\/main\/([^?#]*)/;

/**
 * The problems with a published package's `repository`, `homepage` and `bugs`.
 *
 * @param {Record<string, unknown>} pkg - the package.json, as packed.
 * @param {string} dir - the package's directory under `packages/`.
 * @returns {string[]}
 */
export function checkMetadata(pkg, dir) {
  const problems = [];
  const repository = /** @type {{ type?: string, url?: string, directory?: string } | undefined} */ (
    pkg.repository
  );
  const expected = { type: "git", url: REPOSITORY_URL, directory: `packages/${dir}` };
  if (
    typeof repository !== "object" ||
    repository === null ||
    repository.type !== expected.type ||
    repository.url !== expected.url ||
    repository.directory !== expected.directory
  ) {
    problems.push(`"repository" must be ${JSON.stringify(expected)}, got ${JSON.stringify(repository)}`);
  }
  const homepage = `${REPOSITORY}/tree/main/packages/${dir}#readme`;
  if (pkg.homepage !== homepage) {
    problems.push(`"homepage" must be "${homepage}", got ${JSON.stringify(pkg.homepage)}`);
  }
  const bugs = typeof pkg.bugs === "object" && pkg.bugs !== null ? pkg.bugs.url : pkg.bugs;
  if (bugs !== `${REPOSITORY}/issues`) {
    problems.push(`"bugs" must be "${REPOSITORY}/issues", got ${JSON.stringify(pkg.bugs)}`);
  }
  return problems;
}

/**
 * The problems with a packed package's ranges on its @sched/* siblings (in `dependencies`,
 * `peerDependencies` and `optionalDependencies`): each must be a plain semver range (the
 * `workspace:` protocol replaced) that accepts the sibling's current version and its next minor,
 * so that releasing a sibling does not leave its dependents unusable with it.
 *
 * @param {Record<string, unknown>} pkg - the package.json, as packed.
 * @param {Map<string, string>} versions - each sibling's name and current version.
 * @returns {string[]}
 */
export function checkSiblingRanges(pkg, versions) {
  const problems = [];
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    const ranges = /** @type {Record<string, string>} */ (pkg[field] ?? {});
    for (const [name, range] of Object.entries(ranges)) {
      const current = versions.get(name);
      if (current === undefined) continue;
      if (semver.validRange(range) === null) {
        problems.push(`${field}["${name}"] is "${range}" once packed, which is not a semver range`);
        continue;
      }
      const nextMinor = semver.inc(current, "minor");
      for (const version of [current, nextMinor]) {
        if (!semver.satisfies(version, range)) {
          problems.push(
            `${field}["${name}"] is "${range}" once packed, which does not accept ${name}@${version} ` +
              `(current ${current}; a range such as "workspace:>=${current} <${semver.major(current) + 1}" does)`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * The link targets of a Markdown text, with their line numbers: inline links and images
 * (`[text](target)`), reference definitions (`[label]: target`), and `href`/`src` attributes.
 * Code blocks and code spans are skipped.
 *
 * @param {string} markdown
 * @returns {{ target: string, line: number }[]}
 */
export function markdownLinks(markdown) {
  const links = [];
  let fence = null;
  markdown.split("\n").forEach((text, index) => {
    const line = index + 1;
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(text);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1];
      else if (fenceMatch[1].startsWith(fence)) fence = null;
      return;
    }
    if (fence !== null) return;
    const prose = text.replace(/(`+)[^`]*?\1/g, "");
    for (const match of prose.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)/g)) {
      links.push({ target: match[1].replace(/^<|>$/g, ""), line });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose);
    if (definition) links.push({ target: definition[1].replace(/^<|>$/g, ""), line });
    for (const match of prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g)) {
      links.push({ target: match[1], line });
    }
  });
  return links;
}

/**
 * The problems with the links of a package's README: a relative link must name a file or
 * directory the tarball ships, and an absolute link into the repository
 * (`https://github.com/sched/sched/tree|blob/main/<path>`) must name a directory (`tree`) or a
 * file (`blob`) that exists there.
 *
 * @param {string} readme - the README's text.
 * @param {{ dir: string, files: Iterable<string>, repoPaths: Iterable<string> }} where - the
 *   package's directory under `packages/`, the paths its tarball ships (relative to the
 *   package), and the repository's file paths (relative to its root).
 * @returns {string[]}
 */
export function checkReadmeLinks(readme, { dir, files, repoPaths }) {
  const shipped = pathIndex(files);
  const repo = pathIndex(repoPaths);
  const problems = [];
  for (const { target, line } of markdownLinks(readme)) {
    if (target.startsWith("#")) continue;
    const absolute = REPOSITORY_LINK.exec(target);
    if (absolute) {
      const kind = absolute[1];
      const path = decodeURIComponent(absolute[2]).replace(/\/$/, "");
      const found = kind === "tree" ? repo.dirs.has(path) : repo.files.has(path);
      if (!found) {
        const what = kind === "tree" ? "directory" : "file";
        problems.push(`line ${line}: ${target} names no ${what} of the repository (${path})`);
      }
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
    const relative = decodeURIComponent(target.replace(/[?#].*$/, ""));
    const path = posix.normalize(relative).replace(/\/$/, "");
    if (relative.startsWith("/") || path === ".." || path.startsWith("../")) {
      const inRepo = posix
        .normalize(relative.startsWith("/") ? relative.slice(1) : posix.join("packages", dir, relative))
        .replace(/\/$/, "");
      const kind = repo.files.has(inRepo) ? "blob" : "tree";
      problems.push(
        `line ${line}: ${target} leaves the package, so it breaks on npm; link to ${REPOSITORY}/${kind}/main/${inRepo}`,
      );
    } else if (path !== "." && !shipped.files.has(path) && !shipped.dirs.has(path)) {
      const inRepo = posix.join("packages", dir, path);
      const kind = repo.files.has(inRepo) ? "blob" : "tree";
      problems.push(
        `line ${line}: ${target} is not in the package's tarball; ship it (package.json "files") ` +
          `or link to ${REPOSITORY}/${kind}/main/${inRepo}`,
      );
    }
  }
  return problems;
}

/** The files of a list of paths, and every directory above them. */
function pathIndex(paths) {
  const files = new Set();
  const dirs = new Set();
  for (const path of paths) {
    files.add(path);
    for (let dir = posix.dirname(path); dir !== "."; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return { files, dirs };
}
