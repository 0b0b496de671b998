// Every route handler of a NestJS controller must declare who may call it: @RequireAccess(…)
// or @Public() on the method or its class. The global AccessGuard refuses undeclared routes
// at run time; this rule makes the omission a lint failure instead of a surprise 403.
const ROUTE_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'All']);
const ACCESS_DECORATORS = new Set(['RequireAccess', 'Public']);

const decoratorName = (decorator) => {
  const expr = decorator.expression;
  if (expr.type === 'CallExpression' && expr.callee.type === 'Identifier') return expr.callee.name;
  if (expr.type === 'Identifier') return expr.name;
  return undefined;
};

export default {
  meta: {
    type: 'problem',
    docs: { description: 'controller routes must declare @RequireAccess() or @Public()' },
    messages: { missing: 'Route handler "{{name}}" has no @RequireAccess(…) or @Public() (here or on its controller).' },
    schema: [],
  },
  create(context) {
    return {
      ClassDeclaration(node) {
        const classDecorators = (node.decorators ?? []).map(decoratorName);
        if (!classDecorators.includes('Controller')) return;
        const classHasAccess = classDecorators.some((n) => ACCESS_DECORATORS.has(n));
        for (const member of node.body.body) {
          if (member.type !== 'MethodDefinition') continue;
          const names = (member.decorators ?? []).map(decoratorName);
          if (!names.some((n) => ROUTE_DECORATORS.has(n))) continue;
          if (classHasAccess || names.some((n) => ACCESS_DECORATORS.has(n))) continue;
          context.report({ node: member, messageId: 'missing', data: { name: member.key.name ?? '?' } });
        }
      },
    };
  },
};
