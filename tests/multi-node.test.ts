import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import { createKeyGenerator } from '../runtime/persistence/keys.js';
import { createTestDatabase, seedTestData, type TestDatabase } from './support/test-db.js';

const xml = (name: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="versioned" name="${name}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="${name}"><bpmn:incoming>a</bpmn:incoming></bpmn:userTask>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>
  </bpmn:process>
</bpmn:definitions>`;

const actor = { username: 'admin', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
let test: TestDatabase;
let nodeA: Runtime;
let nodeB: Runtime;

beforeAll(async () => {
  test = await createTestDatabase();
  await seedTestData(test.knex);
  const listen = test.db.listen?.bind(test.db);
  nodeA = createRuntime(test.knex, createKeyGenerator(1), undefined, listen);
  nodeB = createRuntime(test.knex, createKeyGenerator(2), undefined, listen);
  await Promise.all([nodeA.ready, nodeB.ready]);
});
afterAll(async () => {
  await test?.drop();
});

async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('two runtime nodes on one database', () => {
  it('starts the latest version on every node after a deployment on one of them', async () => {
    await nodeA.definitions.deploy(
      '<default>',
      [{ name: 'v.bpmn', content: Buffer.from(xml('版本一')) }],
      'admin',
    );
    const first = await nodeB.engine.createInstance({ processDefinitionId: 'versioned' }, actor);
    expect(first.instance.processDefinitionVersion).toBe(1);

    await nodeA.definitions.deploy(
      '<default>',
      [{ name: 'v.bpmn', content: Buffer.from(xml('版本二')) }],
      'admin',
    );
    // node A knows at once; node B once the deployment's notification arrived
    expect(
      (await nodeA.engine.createInstance({ processDefinitionId: 'versioned' }, actor)).instance
        .processDefinitionVersion,
    ).toBe(2);
    await eventually(async () => {
      const st = await nodeB.engine.createInstance({ processDefinitionId: 'versioned' }, actor);
      return st.instance.processDefinitionVersion === 2 && [...st.userTasks.values()][0].name === '版本二';
    }, 'node B to start version 2');
  });

  it('gives keys from different nodes that never collide', async () => {
    const a = Array.from({ length: 2000 }, () => nodeA.nextKey());
    const b = Array.from({ length: 2000 }, () => nodeB.nextKey());
    expect(new Set([...a, ...b]).size).toBe(4000);
  });
});
