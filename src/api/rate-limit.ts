/** Counts failed authentications per address in a sliding minute; past the limit the address waits. */
export interface AuthLimiter {
  fail(ip: string): void;
  blocked(ip: string): boolean;
}

export function createAuthLimiter(maxPerMinute: number, now: () => number = Date.now): AuthLimiter {
  const failures = new Map<string, number[]>();
  const recent = (ip: string) => {
    const cutoff = now() - 60_000;
    const list = (failures.get(ip) ?? []).filter((t) => t > cutoff);
    if (list.length) failures.set(ip, list);
    else failures.delete(ip);
    return list;
  };
  return {
    fail(ip) {
      const list = recent(ip);
      list.push(now());
      failures.set(ip, list);
    },
    blocked: (ip) => recent(ip).length >= maxPerMinute,
  };
}
