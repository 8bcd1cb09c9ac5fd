<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>CalibrationTab</name>
    <message>
        <source>Scale across (X, %)</source>
        <extracomment>checks whose limit is a minimum (the chart draws one line, not a band around zero)</extracomment>
        <translation>Tỉ lệ chiều ngang (X, %)</translation>
    </message>
    <message>
        <source>Scale along the feed (Y, %)</source>
        <translation>Tỉ lệ theo chiều nạp giấy (Y, %)</translation>
    </message>
    <message>
        <source>Skew (degrees)</source>
        <translation>Độ nghiêng (độ)</translation>
    </message>
    <message>
        <source>Tone (ΔL*)</source>
        <translation>Tông màu (ΔL*)</translation>
    </message>
    <message>
        <source>White balance (Δa*b*)</source>
        <translation>Cân bằng trắng (Δa*b*)</translation>
    </message>
    <message>
        <source>Colour (mean ΔE)</source>
        <translation>Màu sắc (ΔE trung bình)</translation>
    </message>
    <message>
        <source>Noise (L* RMS)</source>
        <translation>Nhiễu (L* RMS)</translation>
    </message>
    <message>
        <source>Sharpness (sampling efficiency, %)</source>
        <translation>Độ nét (hiệu suất lấy mẫu, %)</translation>
    </message>
    <message>
        <source>Light uniformity (%)</source>
        <translation>Độ đều ánh sáng (%)</translation>
    </message>
    <message>
        <source>Streaks (ΔL*)</source>
        <translation>Vệt kẻ dọc (ΔL*)</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>Đạt</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Cảnh báo</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>Không đạt</translation>
    </message>
    <message>
        <source>Not measured</source>
        <translation>Không đo</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Feed</source>
        <translation>Nguồn giấy</translation>
    </message>
    <message>
        <source>Driver options</source>
        <translation>Tùy chọn trình điều khiển</translation>
    </message>
    <message>
        <source>e.g. defect=scale-y:-1.5 (virtual scanner: simulate a fault)</source>
        <translation>ví dụ defect=scale-y:-1.5 (máy quét ảo: giả lập lỗi)</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Tự động</translation>
    </message>
    <message>
        <source>Feeder, both sides</source>
        <translation>Khay nạp, hai mặt</translation>
    </message>
    <message>
        <source>Feeder, one side</source>
        <translation>Khay nạp, một mặt</translation>
    </message>
    <message>
        <source>Flatbed glass</source>
        <translation>Mặt kính phẳng</translation>
    </message>
    <message>
        <source>Run calibration (F5)</source>
        <translation>Chạy hiệu chuẩn (F5)</translation>
    </message>
    <message>
        <source>Make the last run the baseline</source>
        <translation>Đặt lần gần nhất làm mốc</translation>
    </message>
    <message>
        <source>Save the target to print (PDF)…</source>
        <translation>Lưu bảng hiệu chuẩn để in (PDF)…</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Tiêu chí</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Giá trị</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Giới hạn</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Kết quả</translation>
    </message>
    <message>
        <source>History on this scanner (blue: front, orange: back; red: limit)</source>
        <translation>Lịch sử của máy quét này (xanh: mặt trước, cam: mặt sau; đỏ: giới hạn)</translation>
    </message>
    <message>
        <source>Load the printed target in the scanner (face up, top edge first), then run the calibration.</source>
        <translation>Đặt bảng hiệu chuẩn đã in vào máy quét (mặt in lên trên, mép trên vào trước) rồi chạy hiệu chuẩn.</translation>
    </message>
    <message>
        <source>No calibration recorded for this scanner yet.</source>
        <translation>Máy quét này chưa có lần hiệu chuẩn nào.</translation>
    </message>
    <message>
        <source>Choose the scanner to calibrate.</source>
        <translation>Hãy chọn máy quét cần hiệu chuẩn.</translation>
    </message>
    <message>
        <source>Scanning and measuring the target on {0}…</source>
        <translation>Đang quét và đo bảng hiệu chuẩn trên {0}…</translation>
    </message>
    <message>
        <source>Front</source>
        <translation>Mặt trước</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Mặt sau</translation>
    </message>
    <message>
        <source>Calibration of {0} recorded ({1} dpi, {2}).</source>
        <translation>Đã ghi kết quả hiệu chuẩn của {0} ({1} dpi, {2}).</translation>
    </message>
    <message>
        <source>Calibrating the scanner</source>
        <translation>Đang hiệu chuẩn máy quét</translation>
    </message>
    <message>
        <source>No calibration run yet in this session.</source>
        <translation>Chưa chạy hiệu chuẩn trong phiên làm việc này.</translation>
    </message>
    <message>
        <source>Result: {0}</source>
        <translation>Kết quả: {0}</translation>
    </message>
    <message>
        <source>What to do: {0}</source>
        <translation>Cách xử lý: {0}</translation>
    </message>
    <message>
        <source>The run of {0} is now the baseline of {1}.</source>
        <translation>Lần hiệu chuẩn lúc {0} đã được đặt làm mốc của {1}.</translation>
    </message>
    <message>
        <source>Folder for the calibration target</source>
        <translation>Thư mục lưu bảng hiệu chuẩn</translation>
    </message>
    <message>
        <source>Saved &lt;a href=&quot;{0}&quot;&gt;{1}&lt;/a&gt;. Print it at 100 % (actual size, no fitting to the page).</source>
        <translation>Đã lưu &lt;a href=&quot;{0}&quot;&gt;{1}&lt;/a&gt;. Hãy in ở tỉ lệ 100 % (kích thước thật, không co giãn theo trang).</translation>
    </message>
</context>
<context>
    <name>CaptureScreen</name>
    <message>
        <source>Scan</source>
        <translation>Quét</translation>
    </message>
    <message>
        <source>Components (Alt+Up/Down)</source>
        <translation>Thành phần hồ sơ (Alt+Lên/Xuống)</translation>
    </message>
    <message>
        <source>Scanner &amp;profile</source>
        <translation>&amp;Cấu hình quét</translation>
    </message>
    <message>
        <source>Stop (Esc)</source>
        <translation>Dừng (Esc)</translation>
    </message>
    <message>
        <source>Rescan sheet (F6)</source>
        <translation>Quét lại tờ (F6)</translation>
    </message>
    <message>
        <source>Insert before (Ins)</source>
        <translation>Chèn trước (Ins)</translation>
    </message>
    <message>
        <source>Replace page (F7)</source>
        <translation>Thay trang (F7)</translation>
    </message>
    <message>
        <source>Delete (Del)</source>
        <translation>Xóa (Del)</translation>
    </message>
    <message>
        <source>Exclude/restore (X)</source>
        <translation>Loại/khôi phục (X)</translation>
    </message>
    <message>
        <source>Rotate left (Ctrl+←)</source>
        <translation>Xoay trái (Ctrl+←)</translation>
    </message>
    <message>
        <source>Rotate right (Ctrl+→)</source>
        <translation>Xoay phải (Ctrl+→)</translation>
    </message>
    <message>
        <source>Move earlier (Alt+←)</source>
        <translation>Lên trước (Alt+←)</translation>
    </message>
    <message>
        <source>Move later (Alt+→)</source>
        <translation>Ra sau (Alt+→)</translation>
    </message>
    <message>
        <source>Put the papers in the feeder and press F5.
Pages appear here as they are scanned.</source>
        <translation>Đặt giấy tờ vào khay nạp giấy và nhấn F5.
Các trang hiện ra ở đây ngay khi được quét.</translation>
    </message>
    <message>
        <source>{0} of {1} sheets · {2} images</source>
        <translation>{0}/{1} tờ · {2} ảnh</translation>
    </message>
    <message>
        <source>Open or take in a dossier first (Ctrl+N).</source>
        <translation>Hãy mở hoặc tiếp nhận một hồ sơ trước (Ctrl+N).</translation>
    </message>
    <message>
        <source>Sheets: &lt;b style=&apos;color:{0}&apos;&gt;{1}&lt;/b&gt; of {2} declared&lt;br&gt;Images: {3} (expected {4})&lt;br&gt;{5}</source>
        <translation>Số tờ: &lt;b style=&apos;color:{0}&apos;&gt;{1}&lt;/b&gt;/{2} tờ đã khai&lt;br&gt;Số ảnh: {3} (cần {4})&lt;br&gt;{5}</translation>
    </message>
    <message>
        <source>two-sided</source>
        <translation>quét hai mặt</translation>
    </message>
    <message>
        <source>one-sided</source>
        <translation>quét một mặt</translation>
    </message>
    <message>
        <source>Sheet {0} ({1}) has a sticky note. Take the note off, put the sheet back in the feeder and press F6: the station scans it again and keeps both images.</source>
        <translation>Tờ {0} ({1}) có giấy ghi chú dán. Gỡ giấy ghi chú, đặt lại tờ vào khay và nhấn F6: trạm quét lại và giữ cả hai ảnh.</translation>
    </message>
    <message>
        <source>front</source>
        <translation>mặt trước</translation>
    </message>
    <message>
        <source>back</source>
        <translation>mặt sau</translation>
    </message>
    <message>
        <source>note</source>
        <translation>ghi chú</translation>
    </message>
    <message>
        <source>Scanning…</source>
        <translation>Đang quét…</translation>
    </message>
    <message>
        <source>Continue scanning (F5)</source>
        <translation>Quét tiếp (F5)</translation>
    </message>
    <message>
        <source>Scan (F5)</source>
        <translation>Quét (F5)</translation>
    </message>
    <message>
        <source>Scanning</source>
        <translation>Đang quét</translation>
    </message>
    <message>
        <source>Pages scanned before the problem are kept; fix it and press F5 to continue.</source>
        <translation>Các trang quét trước khi gặp sự cố vẫn được giữ; khắc phục rồi nhấn F5 để quét tiếp.</translation>
    </message>
    <message>
        <source>Checking the pages</source>
        <translation>Đang kiểm tra các trang</translation>
    </message>
    <message>
        <source>“{0}” is complete. Next: “{1}” — put it in the feeder and press F5.</source>
        <translation>Đã quét đủ “{0}”. Tiếp theo: “{1}” — đặt giấy vào khay rồi nhấn F5.</translation>
    </message>
    <message>
        <source>Deleting pages</source>
        <translation>Đang xóa trang</translation>
    </message>
    <message>
        <source>excluded by the clerk</source>
        <translation>cán bộ loại ra</translation>
    </message>
    <message>
        <source>Updating the page</source>
        <translation>Đang cập nhật trang</translation>
    </message>
    <message>
        <source>Rotating the page</source>
        <translation>Đang xoay trang</translation>
    </message>
    <message>
        <source>Saving the new order</source>
        <translation>Đang lưu thứ tự mới</translation>
    </message>
    <message>
        <source>Component complete</source>
        <translation>Thành phần đã đủ tờ</translation>
    </message>
    <message>
        <source>“{0}” already has its {1} declared sheet(s). Scan more sheets into it?</source>
        <translation>“{0}” đã đủ {1} tờ đã khai. Vẫn quét thêm tờ vào thành phần này?</translation>
    </message>
    <message>
        <source>Sheet {0} taken out ({1} image(s)); the files stay in the work folder.</source>
        <translation>Đã bỏ tờ {0} ra khỏi hồ sơ ({1} ảnh); tệp ảnh vẫn còn trong thư mục làm việc.</translation>
    </message>
</context>
<context>
    <name>ComponentRow</name>
    <message>
        <source>Paper name, e.g. Giấy chứng sinh</source>
        <translation>Tên giấy tờ, ví dụ Giấy chứng sinh</translation>
    </message>
    <message>
        <source>Type code</source>
        <translation>Mã loại</translation>
    </message>
    <message>
        <source>Why it is not digitised (required)</source>
        <translation>Lý do không số hóa (bắt buộc)</translation>
    </message>
    <message>
        <source>Two-sided</source>
        <translation>Hai mặt</translation>
    </message>
    <message>
        <source>Number of sheets the applicant handed in</source>
        <translation>Số tờ người nộp đã nộp</translation>
    </message>
    <message>
        <source> sheets</source>
        <translation> tờ</translation>
    </message>
    <message>
        <source>Remove this component</source>
        <translation>Bỏ thành phần này</translation>
    </message>
    <message>
        <source>Must digitise</source>
        <translation>Phải số hóa</translation>
    </message>
    <message>
        <source>Digitise on request (fee)</source>
        <translation>Số hóa theo yêu cầu (có phí)</translation>
    </message>
    <message>
        <source>Not digitised</source>
        <translation>Không số hóa</translation>
    </message>
</context>
<context>
    <name>Health</name>
    <message>
        <source>Checking…</source>
        <translation>Đang kiểm tra…</translation>
    </message>
    <message>
        <source>Ready: {0}</source>
        <translation>Sẵn sàng: {0}</translation>
    </message>
    <message>
        <source>Not found: {0}. Check the cable and power, then press F5.</source>
        <translation>Không tìm thấy: {0}. Kiểm tra cáp và nguồn điện rồi nhấn F5.</translation>
    </message>
    <message>
        <source>Scanner support is not installed on this station</source>
        <translation>Trạm chưa cài đặt chức năng quét</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Lỗi</translation>
    </message>
    <message>
        <source>Busy signing</source>
        <translation>Đang ký số</translation>
    </message>
    <message>
        <source>{0}: PIN locked</source>
        <translation>{0}: mã PIN đã bị khóa</translation>
    </message>
    <message>
        <source>few PIN tries left</source>
        <translation>còn ít lần thử PIN</translation>
    </message>
    <message>
        <source>No token plugged in (needed only to sign)</source>
        <translation>Chưa cắm thiết bị ký số (chỉ cần khi ký)</translation>
    </message>
    <message>
        <source>Signing is not installed on this station</source>
        <translation>Trạm chưa cài đặt chức năng ký số</translation>
    </message>
    <message>
        <source>Upload queue is not installed on this station</source>
        <translation>Trạm chưa cài đặt hàng đợi gửi</translation>
    </message>
    <message>
        <source>{0} waiting, {1} need attention</source>
        <translation>{0} đang chờ, {1} cần xử lý</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Có mạng</translation>
    </message>
    <message>
        <source>Provincial system not configured</source>
        <translation>Chưa cấu hình hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>Offline: files wait safely on this station</source>
        <translation>Mất mạng: tệp được lưu an toàn trên trạm</translation>
    </message>
    <message>
        <source>virtual scanner (sample dossiers)</source>
        <translation>máy quét ảo (hồ sơ mẫu)</translation>
    </message>
</context>
<context>
    <name>HomeScreen</name>
    <message>
        <source>Home</source>
        <translation>Trang chủ</translation>
    </message>
    <message>
        <source>Today&apos;s dossiers</source>
        <translation>Hồ sơ hôm nay</translation>
    </message>
    <message>
        <source>New dossier (Ctrl+N)</source>
        <translation>Hồ sơ mới (Ctrl+N)</translation>
    </message>
    <message>
        <source>Open (Enter)</source>
        <translation>Mở (Enter)</translation>
    </message>
    <message>
        <source>Refresh (F5)</source>
        <translation>Làm mới (F5)</translation>
    </message>
    <message>
        <source>Receipt code</source>
        <translation>Mã hồ sơ</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>Người nộp</translation>
    </message>
    <message>
        <source>Procedure</source>
        <translation>Thủ tục</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Cập nhật</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Signing token</source>
        <translation>Thiết bị ký số</translation>
    </message>
    <message>
        <source>Network and upload queue</source>
        <translation>Mạng và hàng đợi gửi</translation>
    </message>
    <message>
        <source>No dossier yet today. Press Ctrl+N to take in the first one.</source>
        <translation>Hôm nay chưa có hồ sơ nào. Nhấn Ctrl+N để tiếp nhận hồ sơ đầu tiên.</translation>
    </message>
    <message>
        <source>Checking the pages</source>
        <translation>Đang kiểm tra các trang</translation>
    </message>
</context>
<context>
    <name>IdentityPanel</name>
    <message>
        <source>Digital identity and papers already held electronically</source>
        <translation>Danh tính số và giấy tờ đã có dữ liệu điện tử</translation>
    </message>
    <message>
        <source>Checking the digital identity on the provincial system…</source>
        <translation>Đang xác minh danh tính số trên hệ thống của tỉnh…</translation>
    </message>
    <message>
        <source>Could not check the digital identity: {0}</source>
        <translation>Không kiểm tra được danh tính số: {0}</translation>
    </message>
    <message>
        <source>Checking the digital identity</source>
        <translation>Đang xác minh danh tính số</translation>
    </message>
    <message>
        <source>The identifier changed: check the digital identity again.</source>
        <translation>Số định danh đã thay đổi: hãy kiểm tra lại danh tính số.</translation>
    </message>
    <message>
        <source>Check digital identity (Ctrl+I)</source>
        <translation>Xác minh danh tính số (Ctrl+I)</translation>
    </message>
    <message>
        <source>Check again (Ctrl+I)</source>
        <translation>Kiểm tra lại (Ctrl+I)</translation>
    </message>
    <message>
        <source>Read the ID card or type the identifier: the station checks the account and the papers already held electronically.</source>
        <translation>Đọc thẻ căn cước hoặc nhập số định danh: máy sẽ kiểm tra tài khoản định danh điện tử và giấy tờ đã có dữ liệu điện tử.</translation>
    </message>
    <message>
        <source>In the electronic store: {0}</source>
        <translation>Trong kho dữ liệu điện tử: {0}</translation>
    </message>
    <message>
        <source>Reuse for &quot;{0}&quot;: {1} ({2}), already held electronically; it is not scanned</source>
        <translation>Dùng lại cho &quot;{0}&quot;: {1} ({2}), đã có dữ liệu điện tử; không quét giấy này</translation>
    </message>
</context>
<context>
    <name>IntakeScreen</name>
    <message>
        <source>Intake</source>
        <translation>Tiếp nhận</translation>
    </message>
    <message>
        <source>Dossier</source>
        <translation>Hồ sơ</translation>
    </message>
    <message>
        <source>&amp;Receipt code</source>
        <translation>&amp;Mã hồ sơ</translation>
    </message>
    <message>
        <source>As printed on the receipt, e.g. H49.64.33-261121-0001</source>
        <translation>Như trên giấy tiếp nhận, ví dụ H49.64.33-261121-0001</translation>
    </message>
    <message>
        <source>&amp;Procedure code</source>
        <translation>Mã &amp;thủ tục</translation>
    </message>
    <message>
        <source>Procedure &amp;name</source>
        <translation>Tê&amp;n thủ tục</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>Người nộp</translation>
    </message>
    <message>
        <source>The applicant acts for someone else (authorisation)</source>
        <translation>Người nộp làm thay người khác (ủy quyền)</translation>
    </message>
    <message>
        <source>Authorising party (results go to this account)</source>
        <translation>Bên ủy quyền (kết quả trả về tài khoản này)</translation>
    </message>
    <message>
        <source>Components of the dossier</source>
        <translation>Thành phần hồ sơ</translation>
    </message>
    <message>
        <source>Paper name · type code · digitisation · sheets handed in · two-sided</source>
        <translation>Tên giấy tờ · mã loại · số hóa · số tờ đã nộp · hai mặt</translation>
    </message>
    <message>
        <source>Add component (Ctrl+Shift+A)</source>
        <translation>Thêm thành phần (Ctrl+Shift+A)</translation>
    </message>
    <message>
        <source>Load sample dossier (Ctrl+L)</source>
        <translation>Nạp hồ sơ mẫu (Ctrl+L)</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Xóa trắng</translation>
    </message>
    <message>
        <source>Save and scan (Ctrl+Enter)</source>
        <translation>Lưu và quét (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Dossier {0} saved. Put the first component in the feeder and press F5.</source>
        <translation>Đã lưu hồ sơ {0}. Đặt thành phần đầu tiên vào khay và nhấn F5.</translation>
    </message>
    <message>
        <source>Saving the dossier</source>
        <translation>Đang lưu hồ sơ</translation>
    </message>
    <message>
        <source>Filled from the ID card&apos;s QR code.</source>
        <translation>Đã điền từ mã QR trên thẻ căn cước.</translation>
    </message>
    <message>
        <source>Recording the card read</source>
        <translation>Đang ghi nhận việc đọc thẻ</translation>
    </message>
    <message>
        <source>New dossier (Ctrl+N)</source>
        <translation>Hồ sơ mới (Ctrl+N)</translation>
    </message>
    <message>
        <source>Open that dossier (Ctrl+O)</source>
        <translation>Mở hồ sơ đó (Ctrl+O)</translation>
    </message>
    <message>
        <source>Correcting the intake of dossier {0} (open). Save with Ctrl+Enter; Ctrl+N takes in a new dossier.</source>
        <translation>Đang sửa thông tin tiếp nhận của hồ sơ {0} (đang mở). Lưu bằng Ctrl+Enter; Ctrl+N để tiếp nhận hồ sơ mới.</translation>
    </message>
    <message>
        <source>Save changes (Ctrl+Enter)</source>
        <translation>Lưu thay đổi (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>New dossier</source>
        <translation>Hồ sơ mới</translation>
    </message>
    <message>
        <source>Dossier {0}: changes saved.</source>
        <translation>Hồ sơ {0}: đã lưu thay đổi.</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>Không có gì thay đổi.</translation>
    </message>
</context>
<context>
    <name>ItScreen</name>
    <message>
        <source>Scanners (IT)</source>
        <translation>Máy quét (CNTT)</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>Hiệu chuẩn</translation>
    </message>
    <message>
        <source>Scanner profiles</source>
        <translation>Cấu hình quét</translation>
    </message>
    <message>
        <source>Sampling review</source>
        <translation>Rà soát mẫu</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Scan station — {0}</source>
        <translation>Trạm số hóa — {0}</translation>
    </message>
    <message>
        <source>No dossier open</source>
        <translation>Chưa mở hồ sơ</translation>
    </message>
    <message>
        <source>Dossier {0} · {1} · {2}</source>
        <translation>Hồ sơ {0} · {1} · {2}</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>Ký số</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>Mạng</translation>
    </message>
    <message>
        <source>{0} problem(s) to fix before signing: press F8 to see them.</source>
        <translation>Còn {0} lỗi cần khắc phục trước khi ký số: nhấn F8 để xem.</translation>
    </message>
    <message>
        <source>Undo (Ctrl+Z)</source>
        <translation>Hoàn tác (Ctrl+Z)</translation>
    </message>
    <message>
        <source>excluding a page</source>
        <translation>loại trang</translation>
    </message>
    <message>
        <source>restoring a page</source>
        <translation>khôi phục trang</translation>
    </message>
    <message>
        <source>deleting a sheet</source>
        <translation>xóa tờ</translation>
    </message>
    <message>
        <source>moving a page</source>
        <translation>di chuyển trang</translation>
    </message>
    <message>
        <source>rotating a page</source>
        <translation>xoay trang</translation>
    </message>
    <message>
        <source>Nothing to undo.</source>
        <translation>Không còn thao tác nào để hoàn tác.</translation>
    </message>
    <message>
        <source>a scan</source>
        <translation>lần quét</translation>
    </message>
    <message>
        <source>Undone: {0}.</source>
        <translation>Đã hoàn tác: {0}.</translation>
    </message>
    <message>
        <source>Undoing</source>
        <translation>Đang hoàn tác</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Stopped as you asked.</source>
        <translation>Đã dừng theo yêu cầu.</translation>
    </message>
    <message>
        <source>The station could not read or write a file ({0}). Check the disk or USB stick and try again.</source>
        <translation>Trạm không đọc/ghi được tệp ({0}). Kiểm tra ổ đĩa hoặc USB rồi thử lại.</translation>
    </message>
    <message>
        <source>Something went wrong inside the station ({0}). Your pages are kept; try again, and call IT staff if it happens again.</source>
        <translation>Trạm gặp lỗi nội bộ ({0}). Các trang đã quét vẫn được giữ; hãy thử lại, nếu lặp lại thì báo cán bộ CNTT.</translation>
    </message>
</context>
<context>
    <name>MetadataScreen</name>
    <message>
        <source>Document details</source>
        <translation>Thông tin giấy tờ</translation>
    </message>
    <message>
        <source>1. Document type code</source>
        <translation>1. Mã loại giấy tờ</translation>
    </message>
    <message>
        <source>2. Holder&apos;s identifier</source>
        <translation>2. Số định danh của chủ giấy tờ</translation>
    </message>
    <message>
        <source>   or holder&apos;s name (no identifier)</source>
        <translation>   hoặc họ tên (khi không có số định danh)</translation>
    </message>
    <message>
        <source>3. Document name</source>
        <translation>3. Tên giấy tờ</translation>
    </message>
    <message>
        <source>4. Number and symbol</source>
        <translation>4. Số, ký hiệu</translation>
    </message>
    <message>
        <source>5. Issue date</source>
        <translation>5. Ngày cấp</translation>
    </message>
    <message>
        <source>6. Issuing body</source>
        <translation>6. Cơ quan cấp</translation>
    </message>
    <message>
        <source>7. Summary</source>
        <translation>7. Trích yếu nội dung</translation>
    </message>
    <message>
        <source>8. Valid until</source>
        <translation>8. Thời hạn có hiệu lực</translation>
    </message>
    <message>
        <source>9. Validity scope</source>
        <translation>9. Phạm vi có hiệu lực</translation>
    </message>
    <message>
        <source>10. Other fields (name = value per line)</source>
        <translation>10. Thông tin khác (mỗi dòng: tên = giá trị)</translation>
    </message>
    <message>
        <source>dd/mm/yyyy</source>
        <translation>ngày/tháng/năm</translation>
    </message>
    <message>
        <source>e.g. Số khung = RLHJA3906KY123456</source>
        <translation>ví dụ Số khung = RLHJA3906KY123456</translation>
    </message>
    <message>
        <source>Papers (Alt+Up/Down)</source>
        <translation>Giấy tờ (Alt+Lên/Xuống)</translation>
    </message>
    <message>
        <source>Details of the paper</source>
        <translation>Thông tin của giấy tờ</translation>
    </message>
    <message>
        <source>Save (Ctrl+S)</source>
        <translation>Lưu (Ctrl+S)</translation>
    </message>
    <message>
        <source>Save and sign (F8)</source>
        <translation>Lưu và ký số (F8)</translation>
    </message>
    <message>
        <source>This paper has no scanned page yet.</source>
        <translation>Giấy tờ này chưa có trang nào được quét.</translation>
    </message>
    <message>
        <source>Page 1 of {0}</source>
        <translation>Trang 1 của {0}</translation>
    </message>
    <message>
        <source>Saving</source>
        <translation>Đang lưu</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Đã lưu.</translation>
    </message>
    <message>
        <source>Saved, but some papers still miss required details (marked ✗).</source>
        <translation>Đã lưu, nhưng một số giấy tờ còn thiếu thông tin bắt buộc (đánh dấu ✗).</translation>
    </message>
</context>
<context>
    <name>Pages</name>
    <message>
        <source>front</source>
        <translation>mặt trước</translation>
    </message>
    <message>
        <source>back</source>
        <translation>mặt sau</translation>
    </message>
    <message>
        <source>Sheet {0} · {1}</source>
        <translation>Tờ {0} · {1}</translation>
    </message>
    <message>
        <source>with note</source>
        <translation>có ghi chú</translation>
    </message>
    <message>
        <source>note removed</source>
        <translation>đã gỡ ghi chú</translation>
    </message>
    <message>
        <source>(excluded)</source>
        <translation>(đã loại)</translation>
    </message>
    <message>
        <source>to fix</source>
        <translation>cần khắc phục</translation>
    </message>
    <message>
        <source>check</source>
        <translation>cần xem</translation>
    </message>
</context>
<context>
    <name>PartyEditor</name>
    <message>
        <source>&amp;Kind</source>
        <translation>&amp;Loại</translation>
    </message>
    <message>
        <source>Identifier &amp;type</source>
        <translation>Loại &amp;giấy tờ định danh</translation>
    </message>
    <message>
        <source>Identifier &amp;number</source>
        <translation>&amp;Số định danh</translation>
    </message>
    <message>
        <source>Full &amp;name</source>
        <translation>&amp;Họ tên</translation>
    </message>
    <message>
        <source>&amp;Birth date</source>
        <translation>Ngày &amp;sinh</translation>
    </message>
    <message>
        <source>&amp;Founding year</source>
        <translation>Năm thành &amp;lập</translation>
    </message>
    <message>
        <source>Vietnamese citizen</source>
        <translation>Công dân Việt Nam</translation>
    </message>
    <message>
        <source>Foreigner</source>
        <translation>Người nước ngoài</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>Tổ chức</translation>
    </message>
    <message>
        <source>Personal identification number (CCCD, 12 digits)</source>
        <translation>Số định danh cá nhân (CCCD, 12 chữ số)</translation>
    </message>
    <message>
        <source>Old ID card (CMND)</source>
        <translation>Chứng minh nhân dân (CMND)</translation>
    </message>
    <message>
        <source>Passport</source>
        <translation>Hộ chiếu</translation>
    </message>
    <message>
        <source>Tax code</source>
        <translation>Mã số thuế</translation>
    </message>
    <message>
        <source>Organisation code</source>
        <translation>Mã định danh cơ quan, tổ chức</translation>
    </message>
    <message>
        <source>No identifier</source>
        <translation>Không có số định danh</translation>
    </message>
    <message>
        <source>Type the number as printed</source>
        <translation>Nhập số như in trên giấy tờ</translation>
    </message>
    <message>
        <source>Looks right</source>
        <translation>Hợp lệ</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Token PIN</source>
        <translation>Mã PIN của thiết bị ký số</translation>
    </message>
    <message>
        <source>Enter the PIN of token &lt;b&gt;{0}&lt;/b&gt;. It is used once for the whole dossier and never stored.</source>
        <translation>Nhập mã PIN của thiết bị &lt;b&gt;{0}&lt;/b&gt;. Mã PIN chỉ dùng một lần cho cả hồ sơ và không được lưu lại.</translation>
    </message>
    <message>
        <source>Last try: a wrong PIN now locks the token.</source>
        <translation>Lần thử cuối: nhập sai lần này thiết bị sẽ bị khóa.</translation>
    </message>
    <message>
        <source>Tries left: {0}</source>
        <translation>Còn {0} lần thử</translation>
    </message>
    <message>
        <source>&amp;PIN</source>
        <translation>Mã &amp;PIN</translation>
    </message>
    <message>
        <source>Sign</source>
        <translation>Ký số</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
</context>
<context>
    <name>Profiles</name>
    <message>
        <source>standard</source>
        <translation>chuẩn</translation>
    </message>
</context>
<context>
    <name>ProfilesTab</name>
    <message>
        <source>Profile name</source>
        <translation>Tên cấu hình</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Feed</source>
        <translation>Nguồn giấy</translation>
    </message>
    <message>
        <source>Resolution (dpi, 0: automatic)</source>
        <translation>Độ phân giải (dpi, 0: tự động)</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>Màu</translation>
    </message>
    <message>
        <source>Paper</source>
        <translation>Khổ giấy</translation>
    </message>
    <message>
        <source>Double-feed detection</source>
        <translation>Phát hiện nạp chồng giấy</translation>
    </message>
    <message>
        <source>Locked (clerks cannot change it when scanning)</source>
        <translation>Khóa (cán bộ không được thay đổi khi quét)</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>tự động</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Tự động</translation>
    </message>
    <message>
        <source>Feeder, both sides</source>
        <translation>Khay nạp, hai mặt</translation>
    </message>
    <message>
        <source>Feeder, one side</source>
        <translation>Khay nạp, một mặt</translation>
    </message>
    <message>
        <source>Flatbed glass</source>
        <translation>Mặt kính phẳng</translation>
    </message>
    <message>
        <source>Grey</source>
        <translation>Xám</translation>
    </message>
    <message>
        <source>Whole scan area</source>
        <translation>Toàn bộ vùng quét</translation>
    </message>
    <message>
        <source>New profile</source>
        <translation>Cấu hình mới</translation>
    </message>
    <message>
        <source>Delete profile</source>
        <translation>Xóa cấu hình</translation>
    </message>
    <message>
        <source>Save profile</source>
        <translation>Lưu cấu hình</translation>
    </message>
    <message>
        <source>on</source>
        <translation>bật</translation>
    </message>
    <message>
        <source>locked</source>
        <translation>khóa</translation>
    </message>
    <message>
        <source>Compliance profile {0}: at least {1} dpi{2}. A profile below it is refused.</source>
        <translation>Hồ sơ tuân thủ {0}: tối thiểu {1} dpi{2}. Cấu hình thấp hơn sẽ bị từ chối.</translation>
    </message>
    <message>
        <source>, in colour</source>
        <translation>, quét màu</translation>
    </message>
    <message>
        <source>Give the profile a name (not &apos;default&apos;).</source>
        <translation>Hãy đặt tên cho cấu hình (không dùng &apos;default&apos;).</translation>
    </message>
    <message>
        <source>Profile &apos;{0}&apos; saved.</source>
        <translation>Đã lưu cấu hình &apos;{0}&apos;.</translation>
    </message>
    <message>
        <source>Profile &apos;{0}&apos; deleted.</source>
        <translation>Đã xóa cấu hình &apos;{0}&apos;.</translation>
    </message>
</context>
<context>
    <name>ProgressPanel</name>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
</context>
<context>
    <name>QAbstractSpinBox</name>
    <message>
        <source>&amp;Step up</source>
        <translation>&amp;Tăng</translation>
    </message>
    <message>
        <source>Step &amp;down</source>
        <translation>&amp;Giảm</translation>
    </message>
</context>
<context>
    <name>QLineEdit</name>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Hoàn tác</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Làm lại</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>Cắ&amp;t</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>Sao &amp;chép</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;Dán</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>Chọn tất cả</translation>
    </message>
</context>
<context>
    <name>QMessageBox</name>
    <message>
        <source>Show Details...</source>
        <translation>Xem chi tiết...</translation>
    </message>
    <message>
        <source>Hide Details...</source>
        <translation>Ẩn chi tiết...</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <source>OK</source>
        <extracomment>Qt&apos;s own words on standard buttons and message boxes. Qt ships no Vietnamese for them (no qtbase_vi.qm), so a Vietnamese question was answered with &quot;Yes&quot;/&quot;No&quot; and a refusal offered &quot;Show Details...&quot;: they are translated in the station&apos;s own file, under Qt&apos;s contexts (pyside6-lupdate reads these markers).</extracomment>
        <translation>Đồng ý</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <source>&amp;Yes</source>
        <translation>&amp;Có</translation>
    </message>
    <message>
        <source>&amp;No</source>
        <translation>&amp;Không</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Đóng</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Mở</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Thử lại</translation>
    </message>
    <message>
        <source>Ignore</source>
        <translation>Bỏ qua</translation>
    </message>
    <message>
        <source>Abort</source>
        <translation>Dừng</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Áp dụng</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>Đặt lại</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Trợ giúp</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Không lưu</translation>
    </message>
</context>
<context>
    <name>QWidgetTextControl</name>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Hoàn tác</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Làm lại</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>Cắ&amp;t</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>Sao &amp;chép</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;Dán</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>Chọn tất cả</translation>
    </message>
</context>
<context>
    <name>QcScreen</name>
    <message>
        <source>Check</source>
        <translation>Kiểm tra</translation>
    </message>
    <message>
        <source>Findings (Up/Down to move, Enter to fix)</source>
        <translation>Kết quả kiểm tra (Lên/Xuống để chọn, Enter để khắc phục)</translation>
    </message>
    <message>
        <source>Check again (F5)</source>
        <translation>Kiểm tra lại (F5)</translation>
    </message>
    <message>
        <source>Also show information about single pages (I)</source>
        <translation>Hiện cả thông tin về từng trang (I)</translation>
    </message>
    <message>
        <source>Accept with a reason (Ctrl+O)</source>
        <translation>Chấp nhận có lý do (Ctrl+O)</translation>
    </message>
    <message>
        <source>Document details (F8)</source>
        <translation>Thông tin giấy tờ (F8)</translation>
    </message>
    <message>
        <source>&amp;Reason:</source>
        <translation>&amp;Lý do:</translation>
    </message>
    <message>
        <source>Why the dossier is right as it is, e.g. the applicant brought 3 sheets</source>
        <translation>Vì sao hồ sơ vẫn đúng, ví dụ người nộp chỉ mang 3 tờ</translation>
    </message>
    <message>
        <source>Record (Enter)</source>
        <translation>Ghi nhận (Enter)</translation>
    </message>
    <message>
        <source>Accepted by {0}: {1}</source>
        <translation>{0} đã chấp nhận: {1}</translation>
    </message>
    <message>
        <source>No dossier open.</source>
        <translation>Chưa mở hồ sơ nào.</translation>
    </message>
    <message>
        <source>The pages have not been checked yet: scan them first (Ctrl+3).</source>
        <translation>Các trang chưa được kiểm tra: hãy quét trước (Ctrl+3).</translation>
    </message>
    <message>
        <source>Signing is blocked: {0} problem(s) to fix or accept with a reason.</source>
        <translation>Chưa thể ký số: còn {0} lỗi cần khắc phục hoặc chấp nhận có lý do.</translation>
    </message>
    <message>
        <source>Nothing blocks signing. Check the warnings, then press F8.</source>
        <translation>Không còn lỗi chặn ký số. Xem lại các cảnh báo rồi nhấn F8.</translation>
    </message>
    <message>
        <source>No findings.</source>
        <translation>Không có lỗi nào.</translation>
    </message>
    <message>
        <source>Select a finding to see its page.</source>
        <translation>Chọn một lỗi để xem trang liên quan.</translation>
    </message>
    <message>
        <source>Blocks signing</source>
        <translation>Chặn ký số</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Cảnh báo</translation>
    </message>
    <message>
        <source>Information</source>
        <translation>Thông tin</translation>
    </message>
    <message>
        <source>Pages: {0}</source>
        <translation>Trang: {0}</translation>
    </message>
    <message>
        <source>This finding is about the whole component, not one page.</source>
        <translation>Lỗi này liên quan cả thành phần hồ sơ, không riêng trang nào.</translation>
    </message>
    <message>
        <source>Rescan this sheet</source>
        <translation>Quét lại tờ này</translation>
    </message>
    <message>
        <source>Scan the missing sheets</source>
        <translation>Quét các tờ còn thiếu</translation>
    </message>
    <message>
        <source>Remove the note and rescan</source>
        <translation>Gỡ giấy ghi chú và quét lại</translation>
    </message>
    <message>
        <source>Restore the excluded page</source>
        <translation>Khôi phục trang đã loại</translation>
    </message>
    <message>
        <source>Scan the page again without the note</source>
        <translation>Quét lại trang sau khi gỡ ghi chú</translation>
    </message>
    <message>
        <source>Delete the duplicate</source>
        <translation>Xóa ảnh trùng</translation>
    </message>
    <message>
        <source>Show the page</source>
        <translation>Xem trang</translation>
    </message>
    <message>
        <source>Turn the page upright</source>
        <translation>Xoay trang cho đúng chiều</translation>
    </message>
    <message>
        <source>No fix needed</source>
        <translation>Không cần khắc phục</translation>
    </message>
    <message>
        <source>note</source>
        <translation>ghi chú</translation>
    </message>
    <message>
        <source>Same page, note removed: both images go into the PDF, with the note first.</source>
        <translation>Cùng một trang, đã gỡ ghi chú: cả hai ảnh được đưa vào PDF, ảnh có ghi chú đứng trước.</translation>
    </message>
    <message>
        <source>The second scan is not the same page, or the note is still there. Rescan the sheet without the note.</source>
        <translation>Ảnh quét lần hai không phải cùng trang, hoặc vẫn còn ghi chú. Hãy quét lại tờ đó sau khi gỡ ghi chú.</translation>
    </message>
    <message>
        <source>Waiting for the scan without the note (F6 on the Scan screen).</source>
        <translation>Đang chờ quét lại trang đã gỡ ghi chú (F6 ở màn hình Quét).</translation>
    </message>
    <message>
        <source>Not scanned yet</source>
        <translation>Chưa quét</translation>
    </message>
    <message>
        <source>Fixing</source>
        <translation>Đang khắc phục</translation>
    </message>
    <message>
        <source>Type the reason first: it goes to the audit log.</source>
        <translation>Hãy nhập lý do trước: lý do được ghi vào nhật ký kiểm tra.</translation>
    </message>
    <message>
        <source>Checking the pages</source>
        <translation>Đang kiểm tra các trang</translation>
    </message>
    <message>
        <source>Rescan the whole component</source>
        <translation>Quét lại cả thành phần</translation>
    </message>
</context>
<context>
    <name>QueueScreen</name>
    <message>
        <source>Upload queue</source>
        <translation>Hàng đợi gửi</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Tệp</translation>
    </message>
    <message>
        <source>Dossier</source>
        <translation>Hồ sơ</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Số lần gửi</translation>
    </message>
    <message>
        <source>Next attempt</source>
        <translation>Lần gửi tới</translation>
    </message>
    <message>
        <source>Last problem</source>
        <translation>Sự cố gần nhất</translation>
    </message>
    <message>
        <source>Send now (F5)</source>
        <translation>Gửi ngay (F5)</translation>
    </message>
    <message>
        <source>Retry selected (Ctrl+R)</source>
        <translation>Gửi lại tệp đã chọn (Ctrl+R)</translation>
    </message>
    <message>
        <source>Cancel selected (Ctrl+Del)</source>
        <translation>Hủy tệp đã chọn (Ctrl+Del)</translation>
    </message>
    <message>
        <source>Export to USB (Ctrl+E)</source>
        <translation>Xuất ra USB (Ctrl+E)</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>đang chờ</translation>
    </message>
    <message>
        <source>uploading…</source>
        <translation>đang gửi…</translation>
    </message>
    <message>
        <source>confirmed by the province</source>
        <translation>tỉnh đã xác nhận</translation>
    </message>
    <message>
        <source>failed, will retry</source>
        <translation>lỗi, sẽ gửi lại</translation>
    </message>
    <message>
        <source>needs attention</source>
        <translation>cần xử lý</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>đã hủy</translation>
    </message>
    <message>
        <source>{0} files: {1} confirmed, {2} waiting, {3} need attention</source>
        <translation>{0} tệp: {1} đã xác nhận, {2} đang chờ, {3} cần xử lý</translation>
    </message>
    <message>
        <source>No connection to the provincial system. Signed files wait safely on this station and are sent as soon as the network is back. For a long outage, export them to a USB stick (Ctrl+E).</source>
        <translation>Mất kết nối tới hệ thống của tỉnh. Các tệp đã ký được lưu an toàn trên trạm và sẽ tự gửi khi có mạng trở lại. Nếu mất mạng lâu, hãy xuất ra USB (Ctrl+E).</translation>
    </message>
    <message>
        <source>The provincial system address is not set: ask IT staff (Settings).</source>
        <translation>Chưa cấu hình địa chỉ hệ thống của tỉnh: liên hệ cán bộ CNTT (Cài đặt).</translation>
    </message>
    <message>
        <source>Choose the USB stick</source>
        <translation>Chọn USB</translation>
    </message>
    <message>
        <source>{0} file(s) written to {1}. Take the stick to a connected computer and import it there.</source>
        <translation>Đã ghi {0} tệp vào {1}. Mang USB sang máy có mạng và nhập vào đó.</translation>
    </message>
    <message>
        <source>Exporting to USB</source>
        <translation>Đang xuất ra USB</translation>
    </message>
</context>
<context>
    <name>RecordsScreen</name>
    <message>
        <source>Records officer</source>
        <translation>Văn thư</translation>
    </message>
    <message>
        <source>Digital identity and papers already held electronically</source>
        <translation>Danh tính số và giấy tờ đã có dữ liệu điện tử</translation>
    </message>
    <message>
        <source>Check digital identity</source>
        <translation>Xác minh danh tính số</translation>
    </message>
    <message>
        <source>Component</source>
        <translation>Thành phần</translation>
    </message>
    <message>
        <source>Stored document</source>
        <translation>Giấy tờ trong kho</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>Ngày cấp</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>Hiệu lực đến</translation>
    </message>
    <message>
        <source>Reuse the selected paper instead of scanning it</source>
        <translation>Dùng lại giấy tờ đã chọn thay vì quét</translation>
    </message>
    <message>
        <source>Result digitised by the records officer (SAO Y, organisation token)</source>
        <translation>Kết quả do văn thư số hóa (SAO Y, chứng thư số của cơ quan)</translation>
    </message>
    <message>
        <source>Result name</source>
        <translation>Tên kết quả</translation>
    </message>
    <message>
        <source>Document type code</source>
        <translation>Mã loại giấy tờ</translation>
    </message>
    <message>
        <source>Number and symbol</source>
        <translation>Số, ký hiệu</translation>
    </message>
    <message>
        <source>Issue date</source>
        <translation>Ngày cấp</translation>
    </message>
    <message>
        <source>Issuing body</source>
        <translation>Cơ quan cấp</translation>
    </message>
    <message>
        <source>Organisation token</source>
        <translation>Token của cơ quan</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>Mã PIN</translation>
    </message>
    <message>
        <source>Scan and check the result</source>
        <translation>Quét và kiểm tra kết quả</translation>
    </message>
    <message>
        <source>Sign the result as the organisation</source>
        <translation>Ký số kết quả bằng chứng thư của cơ quan</translation>
    </message>
    <message>
        <source>Files of the dossier</source>
        <translation>Các tệp của hồ sơ</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Tệp</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Signatures</source>
        <translation>Chữ ký</translation>
    </message>
    <message>
        <source>Reason for revoking (required)</source>
        <translation>Lý do hủy hiệu lực (bắt buộc)</translation>
    </message>
    <message>
        <source>Revoke the selected file</source>
        <translation>Hủy hiệu lực tệp đã chọn</translation>
    </message>
    <message>
        <source>Open a dossier first (home screen).</source>
        <translation>Hãy mở một hồ sơ trước (màn hình chính).</translation>
    </message>
    <message>
        <source>Reading the files</source>
        <translation>Đang đọc các tệp</translation>
    </message>
    <message>
        <source>PDF ready</source>
        <translation>Đã tạo PDF</translation>
    </message>
    <message>
        <source>Signed</source>
        <translation>Đã ký số</translation>
    </message>
    <message>
        <source>Waiting to upload</source>
        <translation>Chờ gửi</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>Đã gửi</translation>
    </message>
    <message>
        <source>Revoked (kept)</source>
        <translation>Đã hủy hiệu lực (vẫn lưu)</translation>
    </message>
    <message>
        <source>Checking the digital identity</source>
        <translation>Đang xác minh danh tính số</translation>
    </message>
    <message>
        <source>Select a stored paper first.</source>
        <translation>Hãy chọn một giấy tờ trong kho trước.</translation>
    </message>
    <message>
        <source>&apos;{0}&apos; will not be scanned: already held as valid electronic data ({1}).</source>
        <translation>Không quét &apos;{0}&apos;: đã có dữ liệu điện tử còn hiệu lực ({1}).</translation>
    </message>
    <message>
        <source>Recording the reuse</source>
        <translation>Đang ghi nhận việc dùng lại</translation>
    </message>
    <message>
        <source>Result scanned and checked: {0} finding(s) block signing.</source>
        <translation>Đã quét và kiểm tra kết quả: {0} lỗi chặn việc ký số.</translation>
    </message>
    <message>
        <source>Scanning the result</source>
        <translation>Đang quét kết quả</translation>
    </message>
    <message>
        <source>Result signed as SAO Y by {0}; queued for upload.</source>
        <translation>Kết quả đã được {0} ký sao y; đã đưa vào hàng đợi tải lên.</translation>
    </message>
    <message>
        <source>Signing the result</source>
        <translation>Đang ký số kết quả</translation>
    </message>
    <message>
        <source>Select a file first.</source>
        <translation>Hãy chọn một tệp trước.</translation>
    </message>
    <message>
        <source>Give the reason for revoking the file.</source>
        <translation>Hãy nhập lý do hủy hiệu lực tệp.</translation>
    </message>
    <message>
        <source>the provincial system was told</source>
        <translation>đã báo cho hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>the provincial system could not be told yet; revoke again later to repeat the notice</source>
        <translation>chưa báo được cho hệ thống của tỉnh; hãy hủy lại sau để gửi lại thông báo</translation>
    </message>
    <message>
        <source>{0} revoked: {1}.</source>
        <translation>Đã hủy hiệu lực {0}: {1}.</translation>
    </message>
    <message>
        <source>Revoking the file</source>
        <translation>Đang hủy hiệu lực tệp</translation>
    </message>
</context>
<context>
    <name>ReviewTab</name>
    <message>
        <source>Legible</source>
        <translation>Đọc rõ</translation>
    </message>
    <message>
        <source>Whole page (nothing cut off)</source>
        <translation>Đủ trang (không bị cắt)</translation>
    </message>
    <message>
        <source>Right way up</source>
        <translation>Đúng chiều</translation>
    </message>
    <message>
        <source>Colour faithful</source>
        <translation>Màu trung thực</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Từ ngày</translation>
    </message>
    <message>
        <source>to</source>
        <translation>đến ngày</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>Tỉ lệ mẫu</translation>
    </message>
    <message>
        <source>Draw a sample</source>
        <translation>Lấy mẫu ngẫu nhiên</translation>
    </message>
    <message>
        <source>Note (what was wrong)</source>
        <translation>Ghi chú (lỗi gì)</translation>
    </message>
    <message>
        <source>Record the review</source>
        <translation>Ghi kết quả rà soát</translation>
    </message>
    <message>
        <source>Dossier</source>
        <translation>Hồ sơ</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>Cán bộ</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Kết quả</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Theo</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <source>Sampled</source>
        <translation>Đã lấy mẫu</translation>
    </message>
    <message>
        <source>Reviewed</source>
        <translation>Đã rà soát</translation>
    </message>
    <message>
        <source>Passed</source>
        <translation>Đạt</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Không đạt</translation>
    </message>
    <message>
        <source>{0} page(s) drawn out of {1} not yet sampled in the period.</source>
        <translation>Đã lấy {0} trang trong số {1} trang chưa lấy mẫu của khoảng thời gian.</translation>
    </message>
    <message>
        <source>To review</source>
        <translation>Chờ rà soát</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>Đạt</translation>
    </message>
    <message>
        <source>Fail: {0}</source>
        <translation>Không đạt: {0}</translation>
    </message>
    <message>
        <source>The page image is no longer on this station.</source>
        <translation>Ảnh trang không còn trên máy trạm này.</translation>
    </message>
    <message>
        <source>Choose a sampled page first.</source>
        <translation>Hãy chọn một trang mẫu trước.</translation>
    </message>
    <message>
        <source>Review of a page of dossier {0} recorded.</source>
        <translation>Đã ghi kết quả rà soát một trang của hồ sơ {0}.</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <source>Station identifier</source>
        <translation>Mã trạm</translation>
    </message>
    <message>
        <source>Office name</source>
        <translation>Tên đơn vị</translation>
    </message>
    <message>
        <source>Organisation name (certified copies)</source>
        <translation>Tên cơ quan (trên bản sao y)</translation>
    </message>
    <message>
        <source>Organisation code</source>
        <translation>Mã định danh cơ quan, tổ chức</translation>
    </message>
    <message>
        <source>Compliance profile</source>
        <translation>Bộ quy tắc áp dụng</translation>
    </message>
    <message>
        <source>Database (empty: on this station)</source>
        <translation>Cơ sở dữ liệu (để trống: trên trạm này)</translation>
    </message>
    <message>
        <source>Minimum free disk to scan (MB)</source>
        <translation>Dung lượng trống tối thiểu để quét (MB)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Ngôn ngữ</translation>
    </message>
    <message>
        <source>Clerk&apos;s name on the stamp</source>
        <translation>Tên cán bộ trên dấu ký</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Máy quét</translation>
    </message>
    <message>
        <source>Scanner profile</source>
        <translation>Cấu hình quét</translation>
    </message>
    <message>
        <source>Token module (PKCS#11 library)</source>
        <translation>Thư viện thiết bị ký số (PKCS#11)</translation>
    </message>
    <message>
        <source>Preferred token</source>
        <translation>Thiết bị ký số hay dùng</translation>
    </message>
    <message>
        <source>Preferred certificate (key id)</source>
        <translation>Chứng thư số hay dùng (mã khóa)</translation>
    </message>
    <message>
        <source>Trusted certification authorities (JSON list of files)</source>
        <translation>Tổ chức chứng thực tin cậy (danh sách tệp, JSON)</translation>
    </message>
    <message>
        <source>Timestamp server (empty: sign offline)</source>
        <translation>Máy chủ dấu thời gian (để trống: ký ngoại tuyến)</translation>
    </message>
    <message>
        <source>Provincial system address</source>
        <translation>Địa chỉ hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>Provincial login address</source>
        <translation>Địa chỉ đăng nhập hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>Provincial client id</source>
        <translation>Mã ứng dụng trên hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>Extra CA bundle for the provincial system</source>
        <translation>Chứng thư CA bổ sung cho hệ thống của tỉnh</translation>
    </message>
    <message>
        <source>Parallel uploads</source>
        <translation>Số tệp gửi đồng thời</translation>
    </message>
    <message>
        <source>Upload limit (kB/s)</source>
        <translation>Giới hạn tốc độ gửi (kB/s)</translation>
    </message>
    <message>
        <source>Upload window (HH:MM-HH:MM)</source>
        <translation>Khung giờ gửi (HH:MM-HH:MM)</translation>
    </message>
    <message>
        <source>Days to keep files after upload</source>
        <translation>Số ngày giữ tệp sau khi gửi</translation>
    </message>
    <message>
        <source>Certification authorities no longer trusted</source>
        <translation>Tổ chức chứng thực không còn tin cậy</translation>
    </message>
    <message>
        <source>Test certification authorities (training only)</source>
        <translation>Tổ chức chứng thực thử nghiệm (chỉ để tập huấn)</translation>
    </message>
    <message>
        <source>Share of pages drawn for the sampling review (%)</source>
        <translation>Tỉ lệ trang lấy mẫu để rà soát (%)</translation>
    </message>
    <message>
        <source>Station (IT staff)</source>
        <translation>Trạm (cán bộ CNTT)</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>Cán bộ</translation>
    </message>
    <message>
        <source>Signing</source>
        <translation>Ký số</translation>
    </message>
    <message>
        <source>Provincial system and uploads</source>
        <translation>Hệ thống của tỉnh và gửi hồ sơ</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Khóa</translation>
    </message>
    <message>
        <source>Clerks cannot change a locked value</source>
        <translation>Cán bộ một cửa không sửa được giá trị đã khóa</translation>
    </message>
    <message>
        <source>IT staff mode (Ctrl+Shift+I)</source>
        <translation>Chế độ cán bộ CNTT (Ctrl+Shift+I)</translation>
    </message>
    <message>
        <source>Undo changes</source>
        <translation>Hoàn tác</translation>
    </message>
    <message>
        <source>Save (Ctrl+S)</source>
        <translation>Lưu (Ctrl+S)</translation>
    </message>
    <message>
        <source>Only IT staff can change station settings: this Windows/Linux account cannot write the station settings file.</source>
        <translation>Chỉ cán bộ CNTT được sửa cấu hình trạm: tài khoản Windows/Linux này không có quyền ghi tệp cấu hình trạm.</translation>
    </message>
    <message>
        <source>IT staff mode: you edit the station&apos;s values and choose which ones clerks may change.</source>
        <translation>Chế độ cán bộ CNTT: sửa cấu hình của trạm và chọn giá trị nào cán bộ một cửa được thay đổi.</translation>
    </message>
    <message>
        <source>Clerk mode: values with a lock were set by IT staff and are read-only.</source>
        <translation>Chế độ cán bộ một cửa: giá trị có khóa do cán bộ CNTT đặt, chỉ xem được.</translation>
    </message>
    <message>
        <source>default</source>
        <translation>mặc định</translation>
    </message>
    <message>
        <source>set by IT</source>
        <translation>do CNTT đặt</translation>
    </message>
    <message>
        <source>your choice</source>
        <translation>bạn chọn</translation>
    </message>
    <message>
        <source>locked</source>
        <translation>đã khóa</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Đã lưu.</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>Không có thay đổi.</translation>
    </message>
    <message>
        <source>Add the organisation&apos;s certified copy (SAO Y)</source>
        <translation>Thêm chữ ký sao y của cơ quan (SAO Y)</translation>
    </message>
    <message>
        <source>Font of the signature stamp</source>
        <translation>Phông chữ của dấu chữ ký</translation>
    </message>
    <message>
        <source>Font of the certified-copy stamp</source>
        <translation>Phông chữ của dấu sao y</translation>
    </message>
    <message>
        <source>Upload piece size (kB)</source>
        <translation>Kích thước mỗi phần khi gửi (kB)</translation>
    </message>
    <message>
        <source>Wait for the provincial system (seconds)</source>
        <translation>Thời gian chờ hệ thống của tỉnh (giây)</translation>
    </message>
    <message>
        <source>Longest pause between upload tries (seconds)</source>
        <translation>Thời gian nghỉ dài nhất giữa các lần gửi lại (giây)</translation>
    </message>
    <message>
        <source>Scanner calibration tolerances (JSON)</source>
        <translation>Sai số cho phép khi hiệu chuẩn máy quét (JSON)</translation>
    </message>
    <message>
        <source>Scanner calibration before scanning</source>
        <translation>Hiệu chuẩn máy quét trước khi quét</translation>
    </message>
    <message>
        <source>Calibration valid for (days)</source>
        <translation>Hiệu chuẩn còn hiệu lực (ngày)</translation>
    </message>
    <message>
        <source>Image compression in the PDF</source>
        <translation>Cách nén ảnh trong tệp PDF</translation>
    </message>
    <message>
        <source>JPEG quality (1-100)</source>
        <translation>Chất lượng JPEG (1-100)</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Tắt</translation>
    </message>
    <message>
        <source>Warn only</source>
        <translation>Chỉ cảnh báo</translation>
    </message>
    <message>
        <source>Required (blocks scanning)</source>
        <translation>Bắt buộc (chặn quét)</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Tự động</translation>
    </message>
    <message>
        <source>Lossless</source>
        <translation>Không giảm chất lượng</translation>
    </message>
    <message>
        <source>JPEG (smaller)</source>
        <translation>JPEG (nhỏ hơn)</translation>
    </message>
    <message>
        <source>Mixed text and image (smallest)</source>
        <translation>Tách chữ và ảnh (nhỏ nhất)</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Có</translation>
    </message>
    <message>
        <source>No</source>
        <translation>Không</translation>
    </message>
    <message>
        <source>standard</source>
        <translation>chuẩn</translation>
    </message>
</context>
<context>
    <name>SignScreen</name>
    <message>
        <source>Sign</source>
        <translation>Ký số</translation>
    </message>
    <message>
        <source>&amp;Token</source>
        <translation>&amp;Thiết bị ký số</translation>
    </message>
    <message>
        <source>&amp;Certificate</source>
        <translation>&amp;Chứng thư số</translation>
    </message>
    <message>
        <source>Look for tokens again (F5)</source>
        <translation>Tìm lại thiết bị ký số (F5)</translation>
    </message>
    <message>
        <source>Paper</source>
        <translation>Giấy tờ</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Tệp</translation>
    </message>
    <message>
        <source>Size: scans → file</source>
        <translation>Dung lượng: ảnh quét → tệp</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <source>Sign the dossier (F9)</source>
        <translation>Ký số hồ sơ (F9)</translation>
    </message>
    <message>
        <source>Stop (Esc)</source>
        <translation>Dừng (Esc)</translation>
    </message>
    <message>
        <source>The stamp as it will be on page 1 (blue frame; Ctrl+wheel or + zooms):</source>
        <translation>Dấu ký sẽ nằm trên trang 1 như sau (khung xanh; Ctrl+lăn chuột hoặc + để phóng to):</translation>
    </message>
    <message>
        <source>Checking the pages</source>
        <translation>Đang kiểm tra các trang</translation>
    </message>
    <message>
        <source>Looking for tokens…</source>
        <translation>Đang tìm thiết bị ký số…</translation>
    </message>
    <message>
        <source>No token found. Plug in your USB token and press F5.</source>
        <translation>Không thấy thiết bị ký số. Cắm USB token rồi nhấn F5.</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Sẵn sàng</translation>
    </message>
    <message>
        <source>not signed yet</source>
        <translation>chưa ký</translation>
    </message>
    <message>
        <source>making PDF/A…</source>
        <translation>đang tạo PDF/A…</translation>
    </message>
    <message>
        <source>signing…</source>
        <translation>đang ký…</translation>
    </message>
    <message>
        <source>signed and verified</source>
        <translation>đã ký và kiểm tra</translation>
    </message>
    <message>
        <source>signed, waiting to upload</source>
        <translation>đã ký, chờ gửi</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>lỗi</translation>
    </message>
    <message>
        <source>The clerk has signed. Next, the certified copy (SAO Y) with the organisation&apos;s certificate (chosen below): press F9.</source>
        <translation>Cán bộ đã ký số. Tiếp theo: ký sao y (SAO Y) bằng chứng thư số của cơ quan (đã chọn bên dưới): nhấn F9.</translation>
    </message>
    <message>
        <source>Signing is disabled:</source>
        <translation>Chưa thể ký số:</translation>
    </message>
    <message>
        <source>This dossier is signed. Its files are in the upload queue (Ctrl+7).</source>
        <translation>Hồ sơ đã được ký số. Các tệp đang trong hàng đợi gửi (Ctrl+7).</translation>
    </message>
    <message>
        <source>(made when signing)</source>
        <translation>(tạo khi ký)</translation>
    </message>
    <message>
        <source>Dossier: {0} of scans → {1} to upload</source>
        <translation>Hồ sơ: {0} ảnh quét → {1} tải lên</translation>
    </message>
    <message>
        <source>Dossier: {0} of scans; the files&apos; size is known once they are made (when signing).</source>
        <translation>Hồ sơ: {0} ảnh quét; dung lượng tệp sẽ biết khi tạo tệp (lúc ký).</translation>
    </message>
    <message>
        <source>No dossier open.</source>
        <translation>Chưa mở hồ sơ nào.</translation>
    </message>
    <message>
        <source>Nothing scanned yet.</source>
        <translation>Chưa quét trang nào.</translation>
    </message>
    <message>
        <source>Page 1 of {0}</source>
        <translation>Trang 1 của {0}</translation>
    </message>
    <message>
        <source>Signing the dossier</source>
        <translation>Đang ký số hồ sơ</translation>
    </message>
    <message>
        <source>Dossier {0} signed; its files wait in the upload queue.</source>
        <translation>Đã ký số hồ sơ {0}; các tệp đang chờ gửi.</translation>
    </message>
    <message>
        <source>Dossier {0} signed by the clerk; the certified copy (SAO Y) is next.</source>
        <translation>Hồ sơ {0} đã được cán bộ ký số; tiếp theo là ký sao y (SAO Y) của cơ quan.</translation>
    </message>
    <message>
        <source>Signing stopped. Files already signed are kept.</source>
        <translation>Đã dừng ký. Các tệp đã ký vẫn được giữ.</translation>
    </message>
    <message>
        <source>Signed file, page 1 as a reader shows it</source>
        <translation>Tệp đã ký, trang 1 như khi mở bằng phần mềm đọc PDF</translation>
    </message>
    <message>
        <source>PDF/A made, not signed yet</source>
        <translation>đã tạo PDF/A, chưa ký</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <source>The station cannot start</source>
        <translation>Không khởi động được trạm số hóa</translation>
    </message>
    <message>
        <source>Nothing was changed and no page is lost. Tell IT staff this message; the details below are for them.</source>
        <translation>Không có gì bị thay đổi và không mất trang nào. Hãy báo cán bộ CNTT nội dung thông báo này; phần chi tiết bên dưới dành cho họ.</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <source>Received</source>
        <translation>Đã tiếp nhận</translation>
    </message>
    <message>
        <source>Scanning</source>
        <translation>Đang quét</translation>
    </message>
    <message>
        <source>Checked</source>
        <translation>Đã kiểm tra</translation>
    </message>
    <message>
        <source>PDF ready</source>
        <translation>Đã tạo PDF</translation>
    </message>
    <message>
        <source>Signed</source>
        <translation>Đã ký số</translation>
    </message>
    <message>
        <source>Waiting to upload</source>
        <translation>Chờ gửi</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>Đã gửi</translation>
    </message>
    <message>
        <source>Revoked</source>
        <translation>Đã hủy hiệu lực</translation>
    </message>
</context>
</TS>
