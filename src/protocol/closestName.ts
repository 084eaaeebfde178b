/**
 * "Did you mean …?": the valid name nearest to a misspelt one, for every error that names an
 * unknown key (runtime and transport options, tool, prompt and resource definitions, completers).
 */

/**
 * The edit distance between two strings (optimal string alignment: insertions, deletions,
 * substitutions and swaps of two neighbours, so `titel` is one edit from `title`), compared
 * case-insensitively: `idleTimeoutMS` is one edit from `idleTimeoutMs`.
 */
export function editDistance(from: string, to: string): number {
  const a = from.toLowerCase();
  const b = to.toLowerCase();
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let row = 1; row <= a.length; row++) {
    const current = [row];
    const previous = rows[row - 1] as number[];
    for (let column = 1; column <= b.length; column++) {
      const same = a[row - 1] === b[column - 1];
      let distance = Math.min(
        (previous[column] as number) + 1,
        (current[column - 1] as number) + 1,
        (previous[column - 1] as number) + (same ? 0 : 1),
      );
      if (row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1]) {
        distance = Math.min(distance, ((rows[row - 2] as number[])[column - 2] as number) + 1);
      }
      current[column] = distance;
    }
    rows.push(current);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate nearest to `name`, or `undefined` when none is near enough to be a likely typo: at
 * most a third of the longer name's length away (and never more than 4 edits), or one begins
 * with the other (at least 3 characters), so `maxSession` suggests `maxSessions` and `lang`
 * suggests `language` while `port` suggests nothing. Ties go to the earlier candidate.
 *
 * @example
 * ```ts
 * closestName('idleTimeoutMS', ['idleTimeoutMs', 'maxSessions']); // 'idleTimeoutMs'
 * ```
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lowerName = name.toLowerCase();
  for (const candidate of candidates) {
    const lowerCandidate = candidate.toLowerCase();
    // A shortened or lengthened name (`lang` for `language`) is a likely slip too, however far.
    const affix =
      Math.min(name.length, candidate.length) >= 3 &&
      (lowerCandidate.startsWith(lowerName) || lowerName.startsWith(lowerCandidate));
    const distance = editDistance(name, candidate);
    const allowed = Math.min(4, Math.floor(Math.max(name.length, candidate.length) / 3));
    if ((distance <= allowed || affix) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The message for an unknown key: "Unknown option `idleTimeoutMS`; did you mean `idleTimeoutMs`?",
 * or the list of valid keys when none is close. `what` names the kind of key ("option", "key"),
 * `where` what holds it ("tool `add`").
 */
export function unknownKeyMessage(
  what: string,
  key: string,
  candidates: readonly string[],
  where?: string,
): string {
  const unknown = `Unknown ${what} \`${key}\`${where === undefined ? '' : ` in ${where}`}`;
  if (candidates.length === 0) return `${unknown}; there are none`;
  const suggestion = closestName(key, candidates);
  return suggestion !== undefined
    ? `${unknown}; did you mean \`${suggestion}\`?`
    : `${unknown}; expected one of ${candidates.map((name) => `\`${name}\``).join(', ')}`;
}
