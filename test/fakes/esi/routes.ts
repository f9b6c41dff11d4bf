/**
 * The fake ESI's routes as one function from a request to a reply (status, JSON body, page
 * count). HTTP concerns (error limit, ETag, faults, log) stay in server.ts.
 */
import {
  renderAffiliation,
  renderAlliance,
  renderCharacter,
  renderCorporation,
  type Universe,
} from './universe.ts';

export interface RouteRequest {
  readonly method: string;
  /** Path without the `/latest` prefix and without the query. */
  readonly path: string;
  readonly page: number;
  readonly body: string;
  /** Character id behind the bearer token: undefined without a token, null for a bad one. */
  readonly tokenCharacterId: number | null | undefined;
}

export interface RouteReply {
  /** Route template, for the request log. */
  readonly route: string;
  readonly status: number;
  readonly body: unknown;
  readonly pages?: number;
}

const error = (route: string, status: number, message: string): RouteReply => ({
  route,
  status,
  body: { error: message },
});

function paginate(route: string, ids: number[], page: number, pageSize: number): RouteReply {
  const pages = Math.max(1, Math.ceil(ids.length / pageSize));
  if (!Number.isInteger(page) || page < 1 || page > pages)
    return error(route, 404, 'Requested page does not exist!');
  return { route, status: 200, body: ids.slice((page - 1) * pageSize, page * pageSize), pages };
}

function affiliation(u: Universe, body: string): RouteReply {
  const route = '/characters/affiliation/';
  let ids: unknown;
  try {
    ids = JSON.parse(body);
  } catch {
    return error(route, 400, 'Invalid JSON body');
  }
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id > 0)) {
    return error(route, 400, 'Body must be a non-empty array of character ids');
  }
  if (ids.length > 1000) return error(route, 400, 'Too many ids requested, maximum is 1000');
  const known = (ids as number[])
    .map((id) => u.characters.get(id))
    .filter((c) => c !== undefined && !c.deleted);
  return { route, status: 200, body: known.map((c) => renderAffiliation(u, c!)) };
}

/** The JSON array of a POST body, or the 400 ESI answers for anything else. */
function arrayBody(route: string, body: string): unknown[] | RouteReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return error(route, 400, 'Invalid JSON body');
  }
  return Array.isArray(parsed) ? parsed : error(route, 400, 'Body must be a JSON array');
}

/**
 * `POST /universe/names/`: 1 to 1,000 unique ids; ESI answers 404 for the whole call when one of
 * them is no character, corporation or alliance (a deleted character keeps its name).
 */
function universeNames(u: Universe, body: string): RouteReply {
  const route = '/universe/names/';
  const ids = arrayBody(route, body);
  if (!Array.isArray(ids)) return ids;
  if (ids.length === 0 || !ids.every((id) => typeof id === 'number' && Number.isInteger(id) && id > 0))
    return error(route, 400, 'Body must be a non-empty array of ids');
  if (ids.length > 1000) return error(route, 400, 'Too many ids requested, maximum is 1000');
  if (new Set(ids).size !== ids.length) return error(route, 400, 'Ids must be unique');
  const names: { category: string; id: number; name: string }[] = [];
  for (const id of ids as number[]) {
    const character = u.characters.get(id);
    const corporation = u.corporations.get(id);
    const alliance = u.alliances.get(id);
    if (character) names.push({ category: 'character', id, name: character.name });
    else if (corporation) names.push({ category: 'corporation', id, name: corporation.name });
    else if (alliance) names.push({ category: 'alliance', id, name: alliance.name });
    else return error(route, 404, 'Ensure all IDs are valid before resolving.');
  }
  return { route, status: 200, body: names };
}

/**
 * `POST /universe/ids/`: 1 to 500 names, matched exactly but without regard to case; each
 * category with a match is a list of `{ id, name }` with EVE's spelling, the others are left out.
 * Deleted characters no longer resolve.
 */
function universeIds(u: Universe, body: string): RouteReply {
  const route = '/universe/ids/';
  const names = arrayBody(route, body);
  if (!Array.isArray(names)) return names;
  if (names.length === 0 || !names.every((n) => typeof n === 'string' && n.length > 0))
    return error(route, 400, 'Body must be a non-empty array of names');
  if (names.length > 500) return error(route, 400, 'Too many names requested, maximum is 500');
  const wanted = new Set((names as string[]).map((n) => n.toLowerCase()));
  const match = <T extends { id: number; name: string }>(items: Iterable<T>) =>
    [...items].filter((x) => wanted.has(x.name.toLowerCase())).map((x) => ({ id: x.id, name: x.name }));
  const result: Record<string, { id: number; name: string }[]> = {
    alliances: match(u.alliances.values()),
    characters: match([...u.characters.values()].filter((c) => !c.deleted)),
    corporations: match(u.corporations.values()),
  };
  return {
    route,
    status: 200,
    body: Object.fromEntries(Object.entries(result).filter(([, list]) => list.length > 0)),
  };
}

export function handleRoute(u: Universe, req: RouteRequest, pageSize: number): RouteReply {
  const parts = req.path.split('/').filter(Boolean);
  const [root, rawId, sub] = parts;
  const id = Number(rawId);
  if (req.method === 'POST' && req.path.replace(/\/?$/, '/') === '/characters/affiliation/') {
    return affiliation(u, req.body);
  }
  if (req.method === 'POST' && req.path.replace(/\/?$/, '/') === '/universe/names/') {
    return universeNames(u, req.body);
  }
  if (req.method === 'POST' && req.path.replace(/\/?$/, '/') === '/universe/ids/') {
    return universeIds(u, req.body);
  }
  if (req.method !== 'GET' || parts.length < 2 || parts.length > 3 || !Number.isSafeInteger(id) || id <= 0) {
    return error('(unknown)', 404, 'Not found');
  }
  if (root === 'characters' && sub === undefined) {
    const route = '/characters/{character_id}/';
    const c = u.characters.get(id);
    if (!c) return error(route, 404, 'Character not found');
    if (c.deleted) return error(route, 404, 'Character has been deleted!');
    return { route, status: 200, body: renderCharacter(u, c) };
  }
  if (root === 'corporations' && sub === undefined) {
    const route = '/corporations/{corporation_id}/';
    const c = u.corporations.get(id);
    return c
      ? { route, status: 200, body: renderCorporation(u, c) }
      : error(route, 404, 'Corporation not found');
  }
  if (root === 'corporations' && sub === 'members') {
    const route = '/corporations/{corporation_id}/members/';
    if (req.tokenCharacterId === undefined) return error(route, 401, 'authorization not provided');
    if (req.tokenCharacterId === null) return error(route, 403, 'token is not valid');
    if (!u.corporations.has(id)) return error(route, 404, 'Corporation not found');
    const character = u.characters.get(req.tokenCharacterId);
    if (character?.corporationId !== id || !u.isDirector(id, req.tokenCharacterId)) {
      return error(route, 403, 'Character does not have required role(s)');
    }
    return paginate(route, u.membersOf(id), req.page, pageSize);
  }
  if (root === 'alliances' && sub === undefined) {
    const route = '/alliances/{alliance_id}/';
    const a = u.alliances.get(id);
    return a ? { route, status: 200, body: renderAlliance(a) } : error(route, 404, 'Alliance not found');
  }
  if (root === 'alliances' && sub === 'corporations') {
    const route = '/alliances/{alliance_id}/corporations/';
    if (!u.alliances.has(id)) return error(route, 404, 'Alliance not found');
    const corps = [...u.corporations.values()].filter((c) => c.allianceId === id).map((c) => c.id);
    return paginate(
      route,
      corps.sort((a, b) => a - b),
      req.page,
      pageSize,
    );
  }
  return error('(unknown)', 404, 'Not found');
}
