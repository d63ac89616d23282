"""The flows of a service start-up script, run with Debian's python-consul (0.7.1) or
python-consul2 (0.1.5) unchanged against Waypost. Usage: flows.py <admin url> <token> <http check url>.
Exits 0 and prints OK when every step answered as Consul would."""
import sys
import threading
import time
from urllib.parse import urlparse

import consul

admin, token, check_url = sys.argv[1], sys.argv[2], sys.argv[3]
where = urlparse(admin)
c = consul.Consul(host=where.hostname, port=where.port, token=token)
tag = 'py%d' % (int(time.time() * 1000) % 100000)


def until(probe, seconds=5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError('condition not met in %ss' % seconds)


assert c.agent.self()['Config']['Datacenter'] == 'dc1'

web, ttl = tag + '-web', tag + '-ttl'
assert c.agent.service.register(web, service_id=web + '-1', address='127.0.0.1', port=where.port,
                                tags=['a', 'b'], check=consul.Check.http(check_url, '200ms', timeout='1s'))
until(lambda: len(c.health.service(web, passing=True)[1]) == 1)
index, nodes = c.catalog.service(web)
assert [n['ServiceID'] for n in nodes] == [web + '-1'] and nodes[0]['ServicePort'] == where.port
assert int(index) > 0
index, services = c.catalog.services()
assert sorted(services[web]) == ['a', 'b']
index, tagged = c.health.service(web, tag='a')
assert len(tagged) == 1

assert c.agent.service.register(ttl, service_id=ttl + '-1', port=4100, check=consul.Check.ttl('30s'))
index, entries = c.health.service(ttl, passing=True)
assert entries == []
assert c.agent.check.ttl_pass('service:%s-1' % ttl, notes='ready')
index, entries = c.health.service(ttl, passing=True)
assert len(entries) == 1 and entries[0]['Checks'][0]['Output'] == 'ready'

# A blocking query sleeps through another service's change and wakes for its own.
answer = {}


def block():
    started = time.time()
    answer['result'] = c.health.service(ttl, index=index, wait='3s')
    answer['took'] = time.time() - started


waiter = threading.Thread(target=block)
waiter.start()
time.sleep(0.3)
c.agent.service.register(tag + '-other', service_id=tag + '-other-1', port=4101)
time.sleep(0.3)
assert 'result' not in answer, 'woken by another service'
c.agent.check.ttl_fail('service:%s-1' % ttl, notes='broken')
waiter.join(5)
new_index, entries = answer['result']
assert int(new_index) > int(index) and answer['took'] < 2.5
assert entries[0]['Checks'][0]['Status'] == 'critical'

assert c.agent.service.maintenance(ttl + '-1', 'true', reason='deploy')
index, checks = c.health.checks(ttl)
assert '_service_maintenance:%s-1' % ttl in [check['CheckID'] for check in checks]
assert c.agent.service.maintenance(ttl + '-1', 'false')

assert c.agent.service.deregister(web + '-1')
index, nodes = c.catalog.service(web)
assert nodes == []

try:
    consul.Consul(host=where.hostname, port=where.port, token='wrong').catalog.services()
    raise AssertionError('a wrong token was taken')
except consul.ACLPermissionDenied:
    pass
try:
    c.agent.service.register(tag + '-bad', port=-1)
    raise AssertionError('a bad port was taken')
except consul.base.BadRequest as error:
    assert 'Port' in str(error)
assert c.catalog.service(tag + '-bad')[1] == []

print('OK')
