export { startFakeEsi, type FakeEsi, type FakeEsiOptions, type FakeEsiRequest } from './server.ts';
export type { FakeAlliance, FakeCharacter, FakeCorporation, UniverseSeed } from './universe.ts';
