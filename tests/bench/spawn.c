/*
 * spawn.c - runs one command and prints "EXIT WALL_SECONDS MAXRSS_KIB
 * CPU_SECONDS" of that child alone (wait4's rusage) on stdout.
 *
 * usage: spawn STDOUT_FILE CMD ARG...     (STDOUT_FILE "-": /dev/null)
 *
 * Why not wait4 from the Python harness itself: Linux counts the memory of
 * the process that forked a child into the child's peak RSS until the exec
 * (the old address space's high-water mark is kept), so a child of a
 * 60 MiB Python would never show less than 60 MiB.  Forked from this small
 * program, the figure is the command's own.  The command's stderr is kept
 * (the harness shows it on failure).  Built by tests/bench/bench.py only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, fd;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn STDOUT_FILE CMD ARG...\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 71;
	}
	if (pid == 0) {
		fd = open(argv[1][0] == '-' && !argv[1][1] ? "/dev/null"
							   : argv[1],
			  O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0) {
			perror(argv[1]);
			_exit(73);
		}
		close(fd);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("wait4");
		return 71;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d %.6f %ld %.6f\n",
	       WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status),
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_maxrss,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
