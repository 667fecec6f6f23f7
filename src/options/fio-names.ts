// The names of every fio option, as fio 3.x knows them (the job options of
// options.c with their aliases, the ioengines' own options of engines/*.c,
// and the command-line options of init.c). A real fio job file may use any
// of them; the ones that mean something here are rows of the option table
// (table.ts), and the rest are accepted, reported once as "ignored here" and
// kept in the JSON's job options (table.ts makes an "ignored" row for each).
// Only names are listed: what fio does with them is fio's, not ours.

const words = (s: string): string[] => s.trim().split(/\s+/);

/** Job options of fio's options.c (with aliases). */
export const FIO_JOB_OPTION_NAMES: readonly string[] = words(`
  allow_file_create allow_mounted_write allrandrepeat atomic ba block_error_percentiles blockalign
  blocksize blocksize_range blocksize_unaligned bs bs_is_seq_rand bs_unaligned bsrange bssplit
  buffer_compress_chunk buffer_compress_percentage buffer_pattern buffered bwavgtime cgroup
  cgroup_nodelete cgroup_weight clat_percentiles clocksource comm continue_on_error cpumask
  cpus_allowed cpus_allowed_policy create_fsync create_on_open create_only create_serialize
  data_placement dataplacement dedupe_global dedupe_mode dedupe_percentage
  dedupe_working_set_percentage description direct directory disable_bw disable_bw_measurement
  disable_clat disable_lat disable_slat disk_util do_verify dp_scheme end_fsync end_syncfs error_dump
  exec_postrun exec_prerun exit_what exitall exitall_on_error experimental_verify fadvise_hint
  fallocate fdatasync fdp fdp_pli fdp_pli_select file_append file_service_type filename
  filename_format fileoffset filesize filetype fill_device fill_fs flow flow_id flow_sleep
  flow_watermark fsync fsync_on_close gid gpu_dev_id group_reporting gtod_cpu gtod_reduce hugepage-
  size ignore_error ignore_zone_limits invalidate io_limit io_size io_submit_mode iodepth
  iodepth_batch iodepth_batch_complete iodepth_batch_complete_max iodepth_batch_complete_min
  iodepth_batch_submit iodepth_low ioengine iomem iomem_align iopsavgtime ioscheduler
  job_max_open_zones job_start_clock_id kb_base lat_percentiles latency_percentile latency_run
  latency_target latency_window lockfile lockmem log_alternate_epoch log_alternate_epoch_clock_id
  log_avg_msec log_compression log_compression_cpus log_entries log_hist_coarseness log_hist_msec
  log_issue_time log_max_value log_offset log_prio log_store_compressed log_unix_epoch
  log_window_value loops max_latency max_open_zones mem mem_align merge_blktrace_file
  merge_blktrace_iters merge_blktrace_scalars name new_group nice norandommap nr_files nrfiles
  num_range numa_cpu_nodes numa_mem_policy number_ios numjobs offset offset_align offset_increment
  opendir openfiles overwrite per_job_logs percentage_random percentage_sequential percentile_list
  plid_select plids pre_read prio prioclass priohint profile ramp_size ramp_time random_distribution
  random_generator random_sequence_stride randrepeat randseed rate rate_cycle rate_ignore_thinktime
  rate_iops rate_iops_min rate_min rate_process ratecycle ratemin read_beyond_wp read_iolog
  read_iolog_chunked readwrite recover_zbd_write_error refill_buffers replay_align replay_no_stall
  replay_redirect replay_scale replay_skip replay_time_scale runtime rw rw_sequencer rwmixcycle
  rwmixread rwmixwrite scramble_buffers serialize_overlap significant_figures size slat_percentiles
  softrandommap spr_cs spr_num_regions spr_op sprandom ss ss_dur ss_interval ss_ramp startdelay stats
  steadystate steadystate_check_interval steadystate_duration steadystate_ramp_time stonewall sync
  sync_file_range thinkcycles thinktime thinktime_blocks thinktime_blocks_type thinktime_iotime
  thinktime_spin thread time_based timeout trim_backlog trim_backlog_batch trim_percentage
  trim_verify_zero uid unified_rw_reporting unique_filename unit_base unlink unlink_each_loop verify
  verify_async verify_async_cpus verify_backlog verify_backlog_batch verify_dump verify_fatal
  verify_header_seed verify_interval verify_offset verify_only verify_pattern verify_pattern_interval
  verify_policy verify_state_load verify_state_save verify_write_sequence verifysort verifysort_nr
  wait_for wait_for_previous write_barrier write_bw_log write_hint write_hist_log write_iolog
  write_iops_log write_lat_log write_zone_remainder zero_buffers zone_reset_frequency
  zone_reset_threshold zonecapacity zonemode zonerange zonesize zoneskip
`);

/** Options the ioengines add (engines/*.c), with aliases. */
export const FIO_ENGINE_OPTION_NAMES: readonly string[] = words(`
  apptag apptag_mask arguments bindname brick busy_poll cdb_len chunck_size chunk_size clientname
  clustername cmd_type conf cont cpuchunks cpuload cpumode cuda_io deac donorname dummy
  exit_on_io_done fixedbufs force_async gpu_dev_ids grace_time hdfs_use_direct hdfsdirectory hipri
  hipri_percentage hostname http_host http_mode http_object_mode http_pass http_s3_key http_s3_keyid
  http_s3_region http_s3_security_token http_s3_sse_customer_algorithm http_s3_sse_customer_key
  http_s3_storage_class http_swift_auth_token http_user http_verbose https initiator inplace interface
  libaio_vectored libblkio_driver libblkio_force_enable_completion_eventfd libblkio_num_entries
  libblkio_path libblkio_pre_connect_props libblkio_pre_start_props libblkio_queue_size
  libblkio_vectored libblkio_wait_mode libblkio_write_zeroes_on_trim listen md_per_io_size mss
  namenode nfs_url no_completion_thread nodelay nonvectored nowait object_class pi_act pi_chk pingpong
  pool port program proto protocol rbd_encryption_format rbd_encryption_passphrase rbdname read_mode
  readfua registerfiles rocm_io sg_write_mode single-instance single_instance skip_bad sqthread_poll
  sqthread_poll_cpu stat_type std_redirect stream_id svcl thp touch_objects ttl uncached uri
  userspace_reap verb verify_bytchk verify_mode volume window_size write_mode writefua xnvme_admin
  xnvme_async xnvme_be xnvme_dev_nsid xnvme_dev_subnqn xnvme_iovec xnvme_mem xnvme_sync
`);

/** Command-line-only options of fio's init.c. */
export const FIO_CLI_OPTION_NAMES: readonly string[] = words(`
  alloc-size append-terse aux-path bandwidth-log client cmdhelp cpuclock-test crctest debug enghelp
  eta eta-interval eta-newline help idle-prof inflate-log latency-log max-jobs memcpytest merge-
  blktrace-only minimal output output-format parse-only profile readonly remote-config section server
  server-internal showcmd status-interval terse-version trigger trigger-file trigger-remote trigger-
  timeout version warnings-fatal
`);

/**
 * The names above that take no value (fio's FIO_OPT_BOOL and FIO_OPT_STR_SET
 * options, and init.c's no_argument options): a bare `--direct` on the
 * command line must not swallow the next argument.
 */
export const FIO_SWITCH_OPTION_NAMES: ReadonlySet<string> = new Set(words(`
  allow_file_create allow_mounted_write allrandrepeat atomic block_error_percentiles
  blocksize_unaligned bs_is_seq_rand bs_unaligned buffered busy_poll cgroup_nodelete clat_percentiles
  cpuclock-test create_fsync create_on_open create_only create_serialize deac dedupe_global direct
  disable_bw disable_bw_measurement disable_clat disable_lat disable_slat disk_util do_verify dummy
  end_fsync end_syncfs error_dump exit_on_io_done exitall exitall_on_error experimental_verify fdp
  file_append fill_device fill_fs fixedbufs fsync_on_close group_reporting gtod_reduce hdfs_use_direct
  hipri ignore_zone_limits invalidate lat_percentiles latency_run libaio_vectored
  libblkio_force_enable_completion_eventfd libblkio_vectored libblkio_write_zeroes_on_trim listen
  log_alternate_epoch log_issue_time log_offset log_prio log_store_compressed log_unix_epoch merge-
  blktrace-only minimal new_group no_completion_thread nodelay norandommap nowait overwrite
  per_job_logs pi_act pingpong pre_read random_sequence_stride randrepeat rate_ignore_thinktime
  read_beyond_wp read_iolog_chunked readfua readonly recover_zbd_write_error refill_buffers
  registerfiles replay_no_stall scramble_buffers serialize_overlap single-instance single_instance
  skip_bad slat_percentiles softrandommap sprandom sqthread_poll stats std_redirect stonewall thread
  time_based touch_objects trim_verify_zero unique_filename unlink unlink_each_loop userspace_reap
  verify_dump verify_fatal verify_header_seed verify_only verify_state_load verify_state_save
  verify_write_sequence wait_for_previous warnings-fatal write_zone_remainder writefua xnvme_iovec
  zero_buffers
`));
