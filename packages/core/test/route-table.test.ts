import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Routable, RouteTable } from '../src/routing/route-table';

interface Api extends Routable {
  name: string;
}

const apis: Api[] = [
  { name: 'root', host: undefined, basePath: '/' },
  { name: 'api', host: undefined, basePath: '/api' },
  { name: 'v1', host: undefined, basePath: '/api/v1' },
  { name: 'admin-host', host: 'admin.example.com', basePath: '/api' },
];

describe('route table', () => {
  const table = new RouteTable(apis, true);

  it('picks the longest base path on segment boundaries', () => {
    expect(table.match('x', '/api/v1/orders')?.name).toBe('v1');
    expect(table.match('x', '/api/v1')?.name).toBe('v1');
    expect(table.match('x', '/api/v1/')?.name).toBe('v1');
    expect(table.match('x', '/api/v10')?.name).toBe('api');
    expect(table.match('x', '/apix')?.name).toBe('root');
    expect(table.match('x', '/')?.name).toBe('root');
  });

  it('takes the longest base path across host-bound and host-less APIs, the host-bound one on a tie', () => {
    expect(table.match('admin.example.com', '/api/x')?.name).toBe('admin-host');
    expect(table.match('admin.example.com', '/api/v1/x')?.name).toBe('v1');
    expect(table.match('admin.example.com', '/other')?.name).toBe('root');
    const shadow = new RouteTable<Api>(
      [
        { name: 'site', host: 'www.example.com', basePath: '/' },
        { name: 'admin', host: undefined, basePath: '/admin' },
      ],
      true,
    );
    expect(shadow.match('www.example.com', '/admin/users')?.name).toBe('admin');
    expect(shadow.match('www.example.com', '/blog')?.name).toBe('site');
  });

  it('matches case-insensitively unless told otherwise', () => {
    const insensitive = new RouteTable(apis, false);
    expect(insensitive.match('x', '/API/V1/x')?.name).toBe('v1');
    expect(table.match('x', '/API/V1/x')?.name).toBe('root');
  });

  it('matches nothing when no API covers the path', () => {
    const narrow = new RouteTable<Api>([{ name: 'a', host: undefined, basePath: '/a' }], true);
    expect(narrow.match('x', '/b')).toBeUndefined();
    expect(narrow.match('x', '*')).toBeUndefined();
    expect(narrow.match('x', '')).toBeUndefined();
  });

  it('agrees with a linear longest-prefix reference on random paths', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', 'v1', '');
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`);
    const base = fc.array(fc.constantFrom('a', 'b', 'ab', 'v1'), { maxLength: 3 }).map((s) => `/${s.join('/')}`);
    fc.assert(
      fc.property(fc.uniqueArray(base, { maxLength: 6 }), path, (bases, requestPath) => {
        const routes = bases.map((basePath, i) => ({ name: String(i), host: undefined, basePath }));
        const reference = routes
          .filter((r) => r.basePath === '/' || requestPath === r.basePath || requestPath.startsWith(`${r.basePath}/`))
          .sort((x, y) => y.basePath.length - x.basePath.length)[0];
        return new RouteTable(routes, true).match('h', requestPath)?.name === reference?.name;
      }),
    );
  });
});
