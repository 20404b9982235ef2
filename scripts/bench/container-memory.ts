/**
 * What a container costs the host in memory, from its cgroup as `docker stats` reads it: usage
 * minus the page cache the kernel can drop at once (inactive files). tmpfs pages (/mnt/data)
 * cannot be dropped, so they count.
 */
import type Dockerode from "dockerode";

interface MemoryStats {
  usage?: number;
  stats?: Record<string, number | undefined>;
}

export async function containerMemoryMiB(docker: Dockerode, id: string): Promise<number> {
  const stats = (await docker.getContainer(id).stats({ stream: false })) as { memory_stats?: MemoryStats };
  const memory = stats.memory_stats ?? {};
  const inactive = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0;
  return ((memory.usage ?? 0) - inactive) / 2 ** 20;
}
