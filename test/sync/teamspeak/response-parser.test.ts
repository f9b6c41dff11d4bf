import { Command } from 'ts3-nodejs-library/lib/transport/Command.js';
import { describe, expect, it } from 'vitest';
import { createResponseParser, type ParserArgument } from '../../../src/sync/teamspeak/response-parser.ts';
import { escape } from '../../fakes/teamspeak/index.ts';

const cmd = Command as unknown as ParserArgument['cmd'];

describe('the ServerQuery response parser', () => {
  const lines = [
    // servergroupclientlist: one key per entry
    'cldbid=1|cldbid=22|cldbid=333',
    // servergrouplist: numbers typed by the library's table, escaped names, empty values
    `sgid=6 name=${escape('Server Admin | ops')} type=1 iconid=300 savedb=1 sortid=0 namemode=0 n_modifyp=75 n_member_addp=75 n_member_removep=75|sgid=7 name=${escape('Normal\\Guest/x')} type=1 iconid=0 savedb=1 sortid=0 namemode=0 n_modifyp= n_member_addp=0 n_member_removep=0`,
    // clientlist -uid: a key the table does not know, a flag-like key without '='
    'clid=5 cid=1 client_database_id=12 client_nickname=Pilot\\s1 client_type=0 client_unique_identifier=abc+/= unknown_key=x|clid=6 cid=2 client_database_id=13 client_nickname=Pilot\\s2 client_type=1 client_unique_identifier=def= bare',
    // later entries listing only what differs: they take the first entry's other fields
    'permid=8470 permvalue=1 permnegated=0 permskip=0|permid=8471|permid=8472 permvalue=75',
    '',
  ];

  it.each(lines.map((l) => [l.slice(0, 40), l]))('gives what the library gives for %s', (_, raw) => {
    const ours = createResponseParser()({ raw, cmd });
    expect(ours).toEqual(Command.parse({ raw }));
  });

  it('keeps giving the same answers once its key memo is warm', () => {
    const parse = createResponseParser();
    for (const raw of lines) parse({ raw, cmd });
    for (const raw of lines) expect(parse({ raw, cmd })).toEqual(Command.parse({ raw }));
  });
});
