import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { setBudget } from '../../lib/cost/budget.js';
import { getDeployment } from '../../lib/deployments/repository.js';
import { APPROVAL_REFUSALS } from '../../workflows/lib/approval-contract.js';
import { approvalStatusQuery, approveUpdate, deploymentQuery } from '../../workflows/provision/contract.js';
import { until } from '../api/api-fixture.js';
import { PRICED_LOCALLY, provisionFixture } from './provision-fixture.js';

const fx = await provisionFixture({ priceTable: PRICED_LOCALLY });

const MARKER = {
  provider: 'local' as const,
  region: 'local',
  resources: [{ type: 'terraform_data', name: 'marker', properties: { input: 'priced' } }],
  outputs: { marker: { value: '${terraform_data.marker.output}' } },
};

describe('a deployment over budget', () => {
  it('waits for an approval only an admin can give: an approver is refused, an admin goes ahead', async () => {
    const environment = `budget-${randomUUID().slice(0, 8)}`;
    await setBudget(fx.db, { environment, monthlyLimit: 5, currency: 'USD' });
    const blueprintId = await fx.blueprint(MARKER);
    // Outside the approval environments and auto-apply asked for: only the budget can stop it.
    const handle = await fx.start({ blueprintId, environment, autoApply: true });

    const status = await until(
      () => handle.query(approvalStatusQuery),
      (s) => s.state === 'pending',
      120_000,
    );
    const view = await handle.query(deploymentQuery);
    assert.equal(view.cost?.monthlyDelta, 7.3);
    assert.equal(view.cost?.overBudget, true);
    assert.equal(view.cost?.monthlyLimit, 5);
    assert.deepEqual(status.requiredRoles, ['admin']);
    assert.ok(status.warnings.includes('approval needed: over budget: an admin must approve'));

    const refused = await handle
      .executeUpdate(approveUpdate, {
        args: [{ approver: 'bob', roles: ['approver'], changeHash: status.changeHash! }],
      })
      .then(
        () => assert.fail('an approver must not approve a run over budget'),
        (e: unknown) => e,
      );
    assert.ok(refused instanceof WorkflowUpdateFailedError);
    assert.ok(refused.cause instanceof ApplicationFailure);
    assert.equal(refused.cause.type, APPROVAL_REFUSALS.forbidden);
    assert.match(refused.cause.message, /bob needs the admin role to approve this change \(over budget\)/);
    assert.equal((await handle.query(approvalStatusQuery)).state, 'pending', 'the refusal changed nothing');

    await handle.executeUpdate(approveUpdate, {
      args: [{ approver: 'carol', roles: ['admin'], changeHash: status.changeHash!, reason: 'planned' }],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.view.approval?.approver, 'carol');
    assert.equal((await getDeployment(fx.db, handle.workflowId))?.approver, 'carol');
    const reservation = await fx.db.query<{ state: string; amount: string }>(
      'SELECT state, amount FROM budget_reservations WHERE id = $1',
      [handle.workflowId],
    );
    assert.deepEqual(reservation.rows[0], { state: 'committed', amount: '7.30' });
  });
});
