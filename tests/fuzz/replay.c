/* replay.c - runs a fuzz target over saved inputs without libFuzzer, so
 * `make test` replays tests/fuzz/corpus/<target>/ with gcc.  Prints
 * "fuzz-NAME: N passed, 0 failed" (a crash is an abort, counted by run.sh). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;
#ifdef CORPUS
	char *def[] = {argv[0], CORPUS};

	if (argc == 1) {
		argc = 2;
		argv = def;
	}
#endif

	for (int a = 1; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *e;

		if (!d) {
			printf("FAIL cannot open %s\n", argv[a]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];
			FILE *f;
			uint8_t *buf;
			long len;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
			f = fopen(path, "rb");
			if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
				printf("FAIL cannot read %s\n", path);
				return 1;
			}
			rewind(f);
			buf = malloc((size_t)len + 1);
			if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
				printf("FAIL cannot read %s\n", path);
				return 1;
			}
			fclose(f);
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			free(buf);
			n++;
		}
		closedir(d);
	}
	printf("%s: %d passed, 0 failed\n", argc > 1 ? argv[1] : "fuzz", n);
	return 0;
}
