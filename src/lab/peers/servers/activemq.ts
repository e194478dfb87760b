// ActiveMQ "Classic" (Debian's activemq 5.17.2) started as the lab's own
// child: the JVM runs the release's console Main (activemq.jar, which builds
// its class path from /usr/share/activemq/lib and lib/optional) directly,
// not through /usr/bin/activemq, an init-style script that daemonises and
// reads /etc/activemq. activemq.base, .conf and .data are inside the data
// directory, with an activemq.xml written there that opens only the STOMP
// transport the driver speaks (on a free loopback port) and keeps KahaDB
// under the data directory: no OpenWire, no JMX, no web console (Debian
// ships no Jetty for it anyway). Debian's build has no AMQP transport
// (activemq-amqp needs qpid-proton-j, which Debian does not package), hence
// STOMP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startServer, which, type PeerServer, type ServerSpec } from './server.js';

const ACTIVEMQ_HOME = '/usr/share/activemq';
const ACTIVEMQ_JAR = `${ACTIVEMQ_HOME}/bin/activemq.jar`;

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The broker's configuration: one STOMP connector, KahaDB in `data`, virtual topics as the driver uses them. */
export function activemqXml(data: string, stompPort: number): string {
  return `<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
    http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="mqlab" useJmx="false" persistent="true"
          schedulerSupport="false" dataDirectory="${xmlText(data)}">
    <!-- A send to topic VirtualTopic.T is copied to every queue Consumer.S.VirtualTopic.T (ActiveMQ's default, stated here
         because the driver's subscriptions are these queues). -->
    <destinationInterceptors>
      <virtualDestinationInterceptor>
        <virtualDestinations>
          <virtualTopic name="VirtualTopic.&gt;" prefix="Consumer.*." selectorAware="false"/>
        </virtualDestinations>
      </virtualDestinationInterceptor>
    </destinationInterceptors>
    <persistenceAdapter>
      <kahaDB directory="${xmlText(join(data, 'kahadb'))}"/>
    </persistenceAdapter>
    <systemUsage>
      <systemUsage>
        <!-- The default 1 GB is more than the heap; ActiveMQ would warn and take 70 % itself. -->
        <memoryUsage><memoryUsage percentOfJvmHeap="70"/></memoryUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:${stompPort}"/>
    </transportConnectors>
  </broker>
</beans>
`;
}

// Debian's lib/optional has log4j 1.2 behind slf4j; the conf directory is on the broker's class path.
const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} %-5p %m%n
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
`;

/** Starts ActiveMQ in `dataDir` with STOMP on `stompPort` (the lab picks a free one; a test may pass a taken one). */
export async function startActivemq(dataDir: string, stompPort: number): Promise<PeerServer> {
  const conf = join(dataDir, 'conf');
  const data = join(dataDir, 'data');
  const tmp = join(dataDir, 'tmp');
  for (const d of [conf, data, tmp]) mkdirSync(d, { recursive: true });
  writeFileSync(join(conf, 'activemq.xml'), activemqXml(data, stompPort));
  writeFileSync(join(conf, 'log4j.properties'), LOG4J);
  return startServer({
    system: 'activemq',
    command: which('java') ?? 'java',
    args: [
      '-Xms256m',
      '-Xmx512m',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${tmp}`,
      `-Dactivemq.classpath=${conf}`,
      `-Dactivemq.home=${ACTIVEMQ_HOME}`,
      `-Dactivemq.base=${dataDir}`,
      `-Dactivemq.conf=${conf}`,
      `-Dactivemq.data=${data}`,
      '-jar',
      ACTIVEMQ_JAR,
      'start',
      `xbean:file:${join(conf, 'activemq.xml')}`,
    ],
    cwd: dataDir,
    port: stompPort,
    ready: /Apache ActiveMQ \S+ \(.*\) started/,
    version: /Apache (ActiveMQ \d+\.\d+\.\d+)/,
    startTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
  }).catch((err: Error) => {
    // The JVM's own words are at the bottom of a long stack trace.
    const taken = /BindException: Address already in use/.test(err.message) ? `activemq could not listen for STOMP on 127.0.0.1:${stompPort} (port taken?)\n` : '';
    throw new Error(`${taken}${err.message}`);
  });
}

export const activemqServer: ServerSpec = {
  system: 'activemq',
  apt: 'apt-get install -y activemq',
  installed: () => which(ACTIVEMQ_JAR) !== null && which('java') !== null,
  // Persistence is per message in ActiveMQ (the driver's); the broker keeps KahaDB either way.
  start: async (dataDir) => startActivemq(dataDir, await freePort()),
};
