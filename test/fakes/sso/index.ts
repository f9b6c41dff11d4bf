export {
  startFakeSso,
  type FakeSso,
  type FakeSsoCharacter,
  type FakeSsoOptions,
  type FakeSsoRequest,
} from './server.ts';
export { KEY_ID, type Forgery } from './tokens.ts';
