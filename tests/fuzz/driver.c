/*
 * driver.c: replays files through a fuzz target's LLVMFuzzerTestOneInput
 * when the build has no libFuzzer, so `make check' runs every corpus.
 * Usage: TARGET FILE|DIR...
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRIVER_FILE_MAX (4 * 1024 * 1024)

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *data;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if ((data = malloc(DRIVER_FILE_MAX)) == NULL) {
		(void)fclose(f);
		return -1;
	}
	n = fread(data, 1, DRIVER_FILE_MAX, f);
	(void)fclose(f);
	/* Exact-size copy so ASan sees reads past the end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (exact == NULL) {
		free(data);
		return -1;
	}
	memcpy(exact, data, n);
	free(data);
	(void)LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, count = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char path[4096];

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]);
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(
			    path, sizeof(path), "%s/%s", argv[i], de->d_name);
			bad |= run_file(path);
			count++;
		}
		(void)closedir(d);
	}
	printf("%d inputs replayed\n", count);
	return bad ? 1 : 0;
}
